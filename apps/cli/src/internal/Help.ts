/** Help text helpers: a description followed by example command lines. */
import { HelpDoc } from "@effect/cli"
import * as Span from "@effect/cli/HelpDoc/Span"

export const examples = (description: string, lines: ReadonlyArray<string>): HelpDoc.HelpDoc =>
  HelpDoc.blocks([
    HelpDoc.p(description),
    ...(lines.length > 0 ? [HelpDoc.p(Span.strong("Examples:")), ...lines.map((l) => HelpDoc.p(Span.code(`  $ ${l}`)))] : [])
  ])
