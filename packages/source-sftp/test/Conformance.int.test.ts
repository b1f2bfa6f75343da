/** The shared SourceConformance battery, against the real OpenSSH server. */
import { SourceConformance } from "@anysource/core/testing"
import { SftpSource } from "../src/index.ts"
import { baseConfig, csv, Remote } from "./support/sftp.ts"

const remote = new Remote()
let path = ""

SourceConformance.run({
  definition: SftpSource,
  validConfig: () => baseConfig(path),
  invalidConfigs: [
    {},
    // no host key verification and no explicit opt-out
    { host: "sftp.example.com", username: "hr", password: "x", path: "in/people.csv" },
    // a malformed fingerprint
    { host: "sftp.example.com", username: "hr", password: "x", path: "in/people.csv", hostKey: { fingerprint: "MD5:aa:bb" } },
    // no credentials at all
    { host: "sftp.example.com", username: "hr", path: "in/people.csv", hostKey: { knownHosts: "known_hosts" } },
    // a glob in a directory name
    { host: "sftp.example.com", username: "hr", password: "x", path: "in/*/people.csv", hostKey: { knownHosts: "known_hosts" } },
    // an unknown readiness rule
    { host: "sftp.example.com", username: "hr", password: "x", path: "in/people.csv", hostKey: { knownHosts: "kh" }, ready: { eventually: true } },
    { host: "sftp.example.com", username: "hr", password: "x", path: "in/people.csv", hostKey: { knownHosts: "kh" }, minAge: "soon" }
  ],
  expectedRows: 3,
  // parses, but the server presents another host key than the one pinned
  failingConfig: () => baseConfig(path, { hostKey: { fingerprint: `SHA256:${"A".repeat(43)}` } }),
  setup: async () => {
    await remote.open()
    path = await remote.put("people.csv", csv(3))
  },
  teardown: () => remote.close()
})
