/** Untrusted text made safe to print, and small wording helpers shared by the renderers. */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g

/** Escape control characters (ANSI escapes, newlines) in untrusted text before printing it. */
export const safe = (s: string): string =>
  s.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0)
    return code === 0x0a ? "\\n" : code === 0x0d ? "\\r" : code === 0x09 ? "\\t" : `\\u${code.toString(16).padStart(4, "0")}`
  })

/** A profile value as shown in diffs: quoted string, `null` (cleared) or `(absent)`. */
export const showValue = (v: string | null | undefined): string =>
  v === undefined ? "(absent)" : v === null ? "null" : safe(JSON.stringify(v))

/** `1 member`, `3 members`. */
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`
