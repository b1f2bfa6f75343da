/**
 * "Null means absent": how to compare a profile Okta answered with one that was sent or stored.
 *
 * A real org lists the base attributes a user never had as `null` (`"mobilePhone":null,"secondEmail":null`,
 * docs/okta/identity-sources-api.md §10.2), a client clears an attribute by sending `null`, and a stored profile
 * simply leaves it out. All three say the same thing: the attribute has no value. Every place that compares what
 * Okta answered with what was sent or stored (verification, drift, `state rebuild`, any later reader) goes through
 * this module, so a user is never reported as drifted because one side wrote `null` and the other wrote nothing.
 */

/** A profile as any side holds it: string values, `null` or `undefined` for "no value". */
export type AnyProfile = Readonly<Record<string, string | null | undefined>>

/** One attribute whose value differs; `undefined` on a side means that side has no value for it. */
export interface ProfileDifference {
  readonly attribute: string
  readonly expected: string | undefined
  readonly actual: string | undefined
}

export interface CompareOptions {
  /**
   * Compare only these attributes (e.g. the ones the mapping sends); others on either side are ignored. Default:
   * every attribute of either side.
   */
  readonly attributes?: ReadonlyArray<string>
}

/** The profile with every attribute that has no value (`null`, `undefined`) left out: what it means. */
export const normalizeReadProfile = (profile: AnyProfile): Readonly<Record<string, string>> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(profile)) if (typeof value === "string") out[name] = value
  return out
}

const valueOf = (profile: AnyProfile, attribute: string): string | undefined => {
  if (!Object.hasOwn(profile, attribute)) return undefined
  const value = profile[attribute]
  return typeof value === "string" ? value : undefined
}

/**
 * The attributes on which `actual` (what Okta answered) says something else than `expected` (what was sent or
 * stored), sorted by name. `null`, `undefined` and a missing attribute are the same: no value. Values are compared
 * exactly (Okta stores the strings it is sent).
 */
export const profileDifferences = (
  expected: AnyProfile,
  actual: AnyProfile,
  options: CompareOptions = {}
): ReadonlyArray<ProfileDifference> => {
  const names = options.attributes ?? [...new Set([...Object.keys(expected), ...Object.keys(actual)])]
  const out: Array<ProfileDifference> = []
  for (const attribute of [...new Set(names)].sort()) {
    const e = valueOf(expected, attribute)
    const a = valueOf(actual, attribute)
    if (e !== a) out.push({ attribute, expected: e, actual: a })
  }
  return out
}

/** True when the two profiles say the same, `null` and a missing attribute being the same (no value). */
export const profilesEqual = (a: AnyProfile, b: AnyProfile, options: CompareOptions = {}): boolean =>
  profileDifferences(a, b, options).length === 0
