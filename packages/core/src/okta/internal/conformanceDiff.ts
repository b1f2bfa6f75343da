/**
 * Comparing two servers' observations step by step (status, error code, body shape path by path, session states,
 * timing rules, measured facts), and the documented recorded-vs-spec differences each one may be.
 */
import { diffShapes } from "./conformanceShape.ts"
import type { Observation } from "./conformanceTypes.ts"

/** A recorded-vs-spec difference the project already knows and documents (docs/okta/identity-sources-api.md §10). */
export interface KnownDifference {
  readonly id: string
  readonly behaviour: string
  readonly recorded: string
  readonly spec: string
  /** Recording or spec section. */
  readonly evidence: string
}

export type Aspect = "ran" | "status" | "errorCode" | "body" | "sessionStates" | "timingRule" | "facts"

export interface Difference {
  readonly step: string
  readonly request: string
  readonly aspect: Aspect
  /** The body path or fact name the difference is about; "" for the whole body or a step-level value. */
  readonly path: string
  readonly subject: string
  readonly reference: string
  /** Set when this is a documented recorded-vs-spec difference. */
  readonly known?: KnownDifference
}

const BASE = /^profile\.(firstName|lastName|mobilePhone|secondEmail|userName|email)$/

/** The documented recorded-vs-spec differences, and how each shows in a run. */
export const knownDifferences: ReadonlyArray<
  KnownDifference & { readonly matches: (d: Difference) => boolean }
> = [
  {
    id: "createSession201",
    behaviour: "create-session status",
    recorded: "201",
    spec: "200",
    evidence: "§10.1 (recordings; spec 200)",
    matches: (d) => d.step.startsWith("session.create") && d.aspect === "status"
  },
  {
    id: "createUserBody",
    behaviour: "POST /users reply",
    recorded: "200 with the user",
    spec: "200 without a body",
    evidence: "§10.2 (recording, possibly hand-made)",
    matches: (d) => d.step.startsWith("user.create") && d.aspect === "body" && d.path === ""
  },
  {
    id: "deleteStatus",
    behaviour: "DELETE user / group status",
    recorded: "200",
    spec: "204",
    evidence: "§10.2 (group: genuine recording 2026-04-20)",
    matches: (d) => (d.step === "user.delete" || d.step === "group.delete") && d.aspect === "status"
  },
  {
    id: "identitySourceUserId",
    behaviour: "id of an identity-source user",
    recorded: "0ua…",
    spec: "00u… (spec example)",
    evidence: "§10.2 (genuine recording 2026-04-19)",
    matches: (d) => d.step.startsWith("user.") && d.aspect === "body" && d.path === "id"
  },
  {
    id: "nullBaseAttributes",
    behaviour: "unset base attributes in user replies",
    recorded: "listed as null",
    spec: "left out",
    evidence: "§10.2 (genuine recording 2026-04-19)",
    matches: (d) =>
      d.step.startsWith("user.") &&
      d.aspect === "body" &&
      BASE.test(d.path) &&
      [d.subject, d.reference].sort().join() === "(absent),null"
  },
  {
    id: "flatGroupProfile",
    behaviour: "group profile in group replies",
    recorded: "flat profile.displayName",
    spec: "nested profile.profile.displayName",
    evidence: "§10.3 (recordings; spec schema)",
    matches: (d) =>
      d.step.startsWith("group.") &&
      d.aspect === "body" &&
      /^profile\.(profile|displayName|description)$/.test(d.path)
  },
  {
    id: "startImportArray",
    behaviour: "start-import reply",
    recorded: "one session object",
    spec: "an array (the spec's example only)",
    evidence: "§10.4",
    matches: (d) => d.step === "session.start-import" && d.aspect === "body" && d.path === ""
  }
]

const outcome = (o: Observation): string =>
  o.status !== undefined && o.status >= 200 && o.status < 300
    ? "allowed"
    : `refused (${o.status ?? "?"}${o.errorCode ? ` ${o.errorCode}` : ""})`

/** Every difference between the two servers' observations, step by step, each documented one marked `known`. */
export const diff = (
  subject: ReadonlyArray<Observation>,
  reference: ReadonlyArray<Observation>
): ReadonlyArray<Difference> => {
  const out: Array<Difference> = []
  const bySubject = new Map(subject.map((o) => [o.step, o]))
  const byReference = new Map(reference.map((o) => [o.step, o]))
  const steps = [...new Set([...reference.map((o) => o.step), ...subject.map((o) => o.step)])]
  const show = (v: unknown) => (v === undefined ? "(none)" : String(v))
  for (const step of steps) {
    const s = bySubject.get(step)
    const r = byReference.get(step)
    const add = (aspect: Aspect, path: string, sv: string, rv: string) => {
      const d: Difference = { step, request: (s ?? r)!.request, aspect, path, subject: sv, reference: rv }
      const known = knownDifferences.find((k) => k.matches(d))
      out.push(
        known === undefined
          ? d
          : {
              ...d,
              known: {
                id: known.id,
                behaviour: known.behaviour,
                recorded: known.recorded,
                spec: known.spec,
                evidence: known.evidence
              }
            }
      )
    }
    if (s === undefined || r === undefined || s.skipped !== undefined || r.skipped !== undefined) {
      const state = (o: Observation | undefined) => (o === undefined ? "(did not run)" : (o.skipped ?? "ran"))
      if (state(s) !== state(r)) add("ran", "", state(s), state(r))
      continue
    }
    if (s.status !== r.status) add("status", "", show(s.status), show(r.status))
    if (s.rule !== undefined && outcome(s) !== outcome(r)) add("timingRule", s.rule, outcome(s), outcome(r))
    if (s.errorCode !== r.errorCode) add("errorCode", "", show(s.errorCode), show(r.errorCode))
    if (s.shape !== undefined && r.shape !== undefined)
      for (const d of diffShapes(s.shape, r.shape)) add("body", d.path, d.left, d.right)
    const states = (o: Observation) => (o.sessionStates ?? []).join(" → ")
    if (states(s) !== states(r)) add("sessionStates", "", states(s) || "(none)", states(r) || "(none)")
    for (const fact of [...new Set([...Object.keys(s.facts ?? {}), ...Object.keys(r.facts ?? {})])].sort())
      if (s.facts?.[fact] !== r.facts?.[fact])
        add("facts", fact, show(s.facts?.[fact]), show(r.facts?.[fact]))
  }
  return out
}
