/**
 * Bounded, deterministic issue collection: keeps the first `limit` issues in (location, field, kind,
 * message) order, whatever order the rows arrived in, and counts every issue by kind.
 */
import type { RecordIssue } from "../../domain/Errors.ts"

const isDigit = (c: number) => c >= 48 && c <= 57

/** "Natural" order: digit runs compare as numbers (`people.csv:9` < `people.csv:10`). Total and deterministic. */
export const naturalCompare = (a: string, b: string): number => {
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(j)
    if (isDigit(ca) && isDigit(cb)) {
      let si = i
      let sj = j
      while (si < a.length && a.charCodeAt(si) === 48) si++
      while (sj < b.length && b.charCodeAt(sj) === 48) sj++
      let ei = si
      let ej = sj
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++
      if (ei - si !== ej - sj) return ei - si - (ej - sj)
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k)
        if (d !== 0) return d
      }
      // equal numbers: fewer leading zeros first, then continue
      if (si - i !== sj - j) return si - i - (sj - j)
      i = ei
      j = ej
      continue
    }
    if (ca !== cb) return ca - cb
    i++
    j++
  }
  return a.length - i - (b.length - j)
}

const cmp = (a: string | undefined, b: string | undefined) => naturalCompare(a ?? "", b ?? "")

export const compareIssues = (a: RecordIssue, b: RecordIssue): number =>
  naturalCompare(a.location, b.location) ||
  cmp(a.field, b.field) ||
  cmp(a.kind, b.kind) ||
  cmp(a.externalId, b.externalId) ||
  cmp(a.message, b.message)

export class IssueCollector {
  private items: Array<RecordIssue> = []
  readonly counts: Partial<Record<RecordIssue["kind"], number>> = {}
  total = 0

  constructor(readonly limit: number) {}

  add(issue: RecordIssue): void {
    this.total++
    this.counts[issue.kind] = (this.counts[issue.kind] ?? 0) + 1
    this.items.push(issue)
    if (this.items.length >= this.limit * 2) this.compact()
  }

  private compact(): void {
    this.items.sort(compareIssues)
    if (this.items.length > this.limit) this.items.length = this.limit
  }

  /** The first `limit` issues in deterministic order. */
  result(): ReadonlyArray<RecordIssue> {
    this.compact()
    return this.items
  }
}
