/** Where a config path sits in a YAML (or JSON) text, as `line:col`, for error messages editors can jump to. */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml"
import type { Segments } from "./paths.ts"

export type Locator = (segments: Segments) => string | undefined

export const yamlLocator = (text: string): Locator => {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: false })
  const at = (offset: number | undefined): string | undefined => {
    if (offset === undefined) return undefined
    const { line, col } = lineCounter.linePos(offset)
    return `${line}:${col}`
  }
  return (segments) => {
    let node: unknown = document.contents
    let offset: number | undefined = (node as Node | null)?.range?.[0]
    for (const segment of segments) {
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment)
        )
        if (pair === undefined) return at(offset)
        offset = (pair.key as Node).range?.[0] ?? offset
        node = pair.value
      } else if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment] as Node | undefined
        if (item === undefined) return at(offset)
        offset = item.range?.[0] ?? offset
        node = item
      } else return at(offset)
    }
    return at(offset)
  }
}

/** `line:col` of a character offset in a text. */
export const lineCol = (text: string, offset: number): string => {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)))
  const line = before.split("\n").length
  const col = offset - before.lastIndexOf("\n")
  return `${line}:${col}`
}
