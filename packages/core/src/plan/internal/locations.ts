/**
 * Compact storage of row locations for the planner's `seen` map. Sources usually number their rows
 * with one prefix (`people.csv:12`, `Sheet1!A12`, `https://hr/api#12`): those are stored as the number
 * alone (a small integer costs no allocation); anything else is kept as the string.
 */
const isDigit = (c: number) => c >= 48 && c <= 57

export class LocationCodec {
  private prefix: string | undefined

  encode(location: string): string | number {
    if (this.prefix === undefined) {
      let i = location.length
      while (i > 0 && isDigit(location.charCodeAt(i - 1))) i--
      this.prefix = location.slice(0, i)
    }
    const p = this.prefix
    const n = location.length - p.length
    if (n < 1 || n > 15 || !location.startsWith(p)) return location
    if (n > 1 && location.charCodeAt(p.length) === 48) return location
    let v = 0
    for (let i = p.length; i < location.length; i++) {
      const c = location.charCodeAt(i)
      if (!isDigit(c)) return location
      v = v * 10 + (c - 48)
    }
    return v
  }

  decode(stored: string | number): string {
    return typeof stored === "number" ? `${this.prefix ?? ""}${stored}` : stored
  }
}
