/**
 * Scanning outputs for leaked secrets: every secret is looked for in the forms it could take on the way out — as
 * is, JSON-escaped, URL-encoded, base64 / base64url (alone and as an HTTP Basic `user:password` pair) and, for a
 * PEM key, each line of its body and the whole body joined.
 */

export interface Secret {
  readonly name: string
  readonly value: string
  /** For passwords sent with HTTP Basic: the user name, so `base64(user:password)` is looked for too. */
  readonly basicUser?: string
}

export interface Finding {
  /** Where it was found (a file, `stdout`, `stderr`). */
  readonly where: string
  readonly secret: string
  /** Which form of the secret matched. */
  readonly form: string
  /** Up to 40 characters around the match, with the match itself masked. */
  readonly context: string
}

const MIN_FRAGMENT = 16

/** The forms a secret value may take in a log line, a report or a file (each at least 16 characters long). */
export const forms = (secret: Secret): ReadonlyArray<{ readonly form: string; readonly text: string }> => {
  const v = secret.value
  const out: Array<{ form: string; text: string }> = [
    { form: "raw", text: v },
    { form: "json-escaped", text: JSON.stringify(v).slice(1, -1) },
    { form: "url-encoded", text: encodeURIComponent(v) },
    { form: "base64", text: Buffer.from(v, "utf8").toString("base64") },
    { form: "base64url", text: Buffer.from(v, "utf8").toString("base64url") }
  ]
  if (secret.basicUser !== undefined) {
    const pair = `${secret.basicUser}:${v}`
    out.push({ form: "basic-auth base64", text: Buffer.from(pair, "utf8").toString("base64") })
  }
  const pem = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END [A-Z ]+-----/.exec(v)
  if (pem) {
    const lines = pem[1]!.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= MIN_FRAGMENT)
    lines.forEach((l, i) => out.push({ form: `PEM body line ${i + 1}`, text: l }))
    out.push({ form: "PEM body (joined)", text: lines.join("") })
  }
  const seen = new Set<string>()
  return out.filter((f) => f.text.length >= MIN_FRAGMENT && !seen.has(f.text) && seen.add(f.text) !== undefined)
}

/** Every occurrence of every form of every secret in the given texts or files' bytes. */
export const scan = (
  haystacks: ReadonlyArray<{ readonly where: string; readonly content: string | Buffer }>,
  secrets: ReadonlyArray<Secret>
): Array<Finding> => {
  const findings: Array<Finding> = []
  for (const h of haystacks) {
    const bytes = typeof h.content === "string" ? Buffer.from(h.content, "utf8") : h.content
    for (const s of secrets) {
      for (const f of forms(s)) {
        const needle = Buffer.from(f.text, "utf8")
        let at = bytes.indexOf(needle)
        while (at >= 0) {
          const before = bytes.subarray(Math.max(0, at - 20), at).toString("utf8")
          const after = bytes.subarray(at + needle.length, at + needle.length + 20).toString("utf8")
          findings.push({ where: h.where, secret: s.name, form: f.form, context: `${before}«${s.name}»${after}` })
          at = bytes.indexOf(needle, at + 1)
        }
      }
    }
  }
  return findings
}
