/** "Did you mean …?" hints: the closest known word by Levenshtein distance, if it is close enough. */

export const levenshtein = (a: string, b: string): number => {
  if (a === b) return 0
  if (a.length === 0) return b.length
  if (b.length === 0) return a.length
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
    }
    previous = current
  }
  return previous[b.length]!
}

/** The known word closest to `input` (case-insensitive equality wins), or undefined when none is close. */
export const closest = (input: string, known: Iterable<string>): string | undefined => {
  const lower = input.toLowerCase()
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    if (candidate === input) continue
    const distance = candidate.toLowerCase() === lower ? 0 : levenshtein(lower, candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(input.length / 3)))
  return best !== undefined && bestDistance <= allowed ? best : undefined
}

/** `"a", "b" or "c"` */
export const listWords = (words: ReadonlyArray<string>, conjunction = "or"): string => {
  const quoted = words.map((w) => JSON.stringify(w))
  if (quoted.length <= 1) return quoted.join("")
  return `${quoted.slice(0, -1).join(", ")} ${conjunction} ${quoted[quoted.length - 1]}`
}
