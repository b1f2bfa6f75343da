/**
 * Which records a verification or drift check reads: all of them, a count, or a share. The choice is
 * deterministic for a seed (the run id), spread over the whole list rather than its head, and different from run
 * to run, so repeated runs with a small sample end up covering every record.
 */
import type { SampleSize } from "../config/Config.ts"

export type Sample =
  | { readonly _tag: "All" }
  | { readonly _tag: "Count"; readonly count: number }
  | { readonly _tag: "Share"; readonly percent: number }

export const all: Sample = { _tag: "All" }

/** `100%` → all, `10%` → a share, `100` → a count (config values and `--sample` flags alike). */
export const fromSize = (size: SampleSize): Sample => {
  if (typeof size === "number") return { _tag: "Count", count: size }
  const percent = Number(size.slice(0, -1))
  return percent >= 100 ? all : { _tag: "Share", percent }
}

/** A `--sample` flag: `100%`, `10%` or `250`; undefined when it is none of those. */
export const parse = (text: string): Sample | undefined => {
  const t = text.trim()
  if (/^[0-9]+$/.test(t)) return { _tag: "Count", count: Number(t) }
  const m = /^([0-9]+(\.[0-9]+)?)%$/.exec(t)
  if (m === null) return undefined
  const percent = Number(m[1])
  return percent > 100 ? undefined : percent === 100 ? all : { _tag: "Share", percent }
}

/** As written in config and reports: `100%`, `10%`, `100`. */
export const describe = (sample: Sample): string =>
  sample._tag === "All" ? "100%" : sample._tag === "Share" ? `${sample.percent}%` : String(sample.count)

/** How many of `total` records the sample takes (a share rounds up, so 1% of 50 is one record, not none). */
export const sizeOf = (sample: Sample, total: number): number => {
  switch (sample._tag) {
    case "All":
      return total
    case "Count":
      return Math.min(total, sample.count)
    case "Share":
      return Math.min(total, Math.ceil((total * sample.percent) / 100))
  }
}

/** A 32-bit string hash (FNV-1a with murmur3's finalizer, so every character moves every bit): ranks records. */
const rank = (seed: string, key: string): number => {
  let h = 0x811c9dc5
  for (const s of [seed, "\u0000", key])
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * The records of `items` the sample takes, in their original order: every one for `All`, else the ones whose
 * hash of (seed, key) ranks lowest. The same seed and items always give the same records.
 */
export const pick = <A>(
  items: ReadonlyArray<A>,
  key: (item: A) => string,
  sample: Sample,
  seed: string
): ReadonlyArray<A> => {
  const n = sizeOf(sample, items.length)
  if (n >= items.length) return items
  if (n === 0) return []
  const ranked = items.map((item, index) => ({ index, r: rank(seed, key(item)) }))
  ranked.sort((x, y) => x.r - y.r || x.index - y.index)
  const chosen = ranked.slice(0, n).map((x) => x.index)
  chosen.sort((x, y) => x - y)
  return chosen.map((i) => items[i]!)
}
