/** A throwaway self-signed certificate for 127.0.0.1 (openssl, valid one day), for the HTTPS tests. */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

export interface SelfSigned {
  readonly dir: string
  readonly keyFile: string
  readonly certFile: string
  readonly key: string
  readonly cert: string
}

export const selfSigned = (): SelfSigned => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "source-rest-tls-"))
  const keyFile = Path.join(dir, "key.pem")
  const certFile = Path.join(dir, "cert.pem")
  execFileSync(
    "openssl",
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
      "-keyout", keyFile, "-out", certFile
    ],
    { stdio: "ignore" }
  )
  return { dir, keyFile, certFile, key: Fs.readFileSync(keyFile, "utf8"), cert: Fs.readFileSync(certFile, "utf8") }
}
