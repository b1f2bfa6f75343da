/**
 * Text rendering of a setup plan (`anysource setup plan|apply`): what is added to the identity source's schema and
 * its mapping onto the Okta user, what is only reported (conflicts, unused or unmapped attributes) and the errors.
 * Pure functions of the plan and a `Style`.
 */
import type { SetupPlan } from "@anysource/core"
import { safe } from "../Render.ts"
import * as Style from "./Style.ts"

type Plan = SetupPlan.SetupPlan
type Entry = SetupPlan.SetupEntry

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

const attributeText = (a: {
  readonly title: string
  readonly description?: string
  readonly required?: boolean
  readonly minLength?: number
  readonly maxLength?: number
}) =>
  [
    "string",
    `title ${JSON.stringify(a.title)}`,
    ...(a.required === true ? ["required"] : []),
    ...(a.minLength !== undefined ? [`minLength ${a.minLength}`] : []),
    ...(a.maxLength !== undefined ? [`maxLength ${a.maxLength}`] : []),
    ...(a.description !== undefined ? [`description ${JSON.stringify(a.description)}`] : [])
  ]
    .map(safe)
    .join(", ")

/** One line per entry, in the plan's order (errors, changes, then what is only reported). */
export const entryLine = (e: Entry, s: Style.Style): string => {
  switch (e.kind) {
    case "addAttribute":
      return `  ${s.green("+")} identity source attribute ${s.bold(safe(e.name))} (${attributeText(e.attribute)})`
    case "addOktaAttribute":
      return `  ${s.green("+")} Okta user attribute ${s.bold(safe(e.name))} (${attributeText(e.attribute)}) ${s.dim("org-wide, setup.oktaUserAttributes: create")}`
    case "removeAttribute":
      return `  ${s.red("-")} identity source attribute ${s.bold(safe(e.name))} ${s.dim("(not sent by the config; --prune)")}`
    case "addMapping":
      return `  ${s.green("+")} mapping ${safe(e.expression)} → ${s.bold(safe(e.target))}`
    case "changeMapping":
      return `  ${s.yellow("~")} mapping onto ${s.bold(safe(e.target))}: ${safe(e.from)} → ${safe(e.expression)} ${s.dim("(--force)")}`
    case "removeMapping":
      return `  ${s.red("-")} mapping ${safe(e.expression)} → ${s.bold(safe(e.target))} ${s.dim(`(reads ${safe(e.attribute)}, which --prune removes)`)}`
    case "mappingConflict":
      return `  ${s.yellow("!")} ${s.bold(safe(e.target))}: Okta maps ${safe(e.existing)}, the config wants ${safe(e.wanted)} ${s.dim("(kept; --force replaces it)")}`
    case "unusedAttribute":
      return `  ${s.dim("?")} ${s.bold(safe(e.name))} is in the identity source's schema but the config never sends it ${s.dim("(kept; --prune removes it)")}`
    case "unmapped":
      return `  ${s.dim("?")} ${s.bold(safe(e.name))} reaches no Okta attribute: ${safe(e.reason)}`
    case "error":
      return `  ${s.red("✗")} ${s.bold(safe(e.path))}: ${safe(e.message)}`
  }
}

const sections: ReadonlyArray<readonly [title: string, kinds: ReadonlyArray<SetupPlan.SetupEntryKind>]> = [
  ["Errors (fix the config first)", ["error"]],
  ["Okta user profile (org-wide)", ["addOktaAttribute"]],
  ["Identity source schema (Profile Editor)", ["addAttribute", "removeAttribute"]],
  ["Mapping: identity source → Okta user", ["addMapping", "changeMapping", "removeMapping"]],
  ["Reported, not changed", ["mappingConflict", "unmapped", "unusedAttribute"]]
]

/** The whole plan: a header, one section per kind of entry, and the summary line. */
export function* planLines(
  plan: Plan,
  target: string,
  s: Style.Style = Style.plain
): Generator<string, void, undefined> {
  yield s.bold(`Setup plan for identity source ${safe(plan.identitySourceId)} (${safe(target)})`)
  for (const [title, kinds] of sections) {
    const entries = plan.entries.filter((e) => kinds.includes(e.kind))
    if (entries.length === 0) continue
    yield ""
    yield title === "Errors (fix the config first)" ? s.red(s.bold(title)) : s.bold(title)
    for (const e of entries) yield entryLine(e, s)
  }
  yield ""
  yield summaryLine(plan, s)
}

/** `8 changes to apply (1 conflict kept, 2 unused attributes).` */
export const summaryLine = (plan: Plan, s: Style.Style = Style.plain): string => {
  const { changes, conflicts, unused, unmapped, errors } = plan.summary
  const notes = [
    ...(conflicts > 0 ? [`${plural(conflicts, "conflict")} kept`] : []),
    ...(unused > 0 ? [`${plural(unused, "unused attribute")}`] : []),
    ...(unmapped > 0 ? [`${plural(unmapped, "unmapped attribute")}`] : [])
  ]
  const head =
    errors > 0
      ? s.red(`${plural(errors, "error")}: nothing can be applied until the config is fixed`)
      : changes === 0
        ? s.green("Nothing to change: the identity source's schema and mapping match the config")
        : s.yellow(`${plural(changes, "change")} to apply`)
  return `${head}${notes.length > 0 ? ` (${notes.join(", ")})` : ""}.`
}
