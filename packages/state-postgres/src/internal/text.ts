/**
 * PostgreSQL `text` cannot hold U+0000, but external ids, run ids and source locations may contain it
 * (the StateStore contract round-trips any string). Every caller-supplied string is stored through
 * `encode`: U+0000 becomes U+0001 "0" and U+0001 becomes U+0001 "1". Strings without either character
 * (all real ones) are stored unchanged, so the tables stay readable and queryable with psql.
 */
const NUL = "\u0000"
const ESC = "\u0001"

export const encode = (value: string): string =>
  value.includes(NUL) || value.includes(ESC) ? value.split(ESC).join(`${ESC}1`).split(NUL).join(`${ESC}0`) : value

export const decode = (stored: string): string => {
  if (!stored.includes(ESC)) return stored
  let out = ""
  for (let i = 0; i < stored.length; i++) {
    const c = stored[i]!
    if (c === ESC && i + 1 < stored.length) {
      out += stored[++i] === "0" ? NUL : ESC
    } else out += c
  }
  return out
}

export const encodeOrNull = (value: string | undefined): string | null => (value === undefined ? null : encode(value))
