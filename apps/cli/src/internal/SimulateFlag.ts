/**
 * `anysource emulator --simulate reject=0.05,admin-edit=0.01,second-writer=0.1,seed=s`: the emulator's fault modes
 * (what `verify` and `drift` exist to catch) in one flag. Shares are from 0 to 1; `seed` picks the records.
 */
export interface Simulate {
  readonly rejectShare: number
  readonly adminEditShare: number
  readonly secondWriterShare: number
  readonly seed: string
}

const shareKeys = { reject: "rejectShare", "admin-edit": "adminEditShare", "second-writer": "secondWriterShare" } as const

/** The modes, or a message naming the part that is wrong and what to write instead. */
export const parse = (text: string): Simulate | { readonly error: string } => {
  const out = { rejectShare: 0, adminEditShare: 0, secondWriterShare: 0, seed: "anysource" }
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const [key = "", value = ""] = part.split("=", 2).map((x) => x.trim())
    if (key === "seed" && value !== "") out.seed = value
    else if (key in shareKeys) {
      const share = value === "" ? Number.NaN : Number(value)
      if (!(share >= 0 && share <= 1)) return { error: `--simulate ${part}: use a share from 0 to 1 (${key}=0.05 is 5%)` }
      out[shareKeys[key as keyof typeof shareKeys]] = share
    } else return { error: `--simulate ${part}: use reject=, admin-edit=, second-writer= (shares 0–1) or seed=` }
  }
  return out
}

/** What the emulator's banner says it simulates (empty when nothing). */
export const describe = (s: Simulate): string =>
  [
    s.rejectShare > 0 ? `${s.rejectShare * 100}% of imported records rejected` : "",
    s.adminEditShare > 0 ? `admin edits ${s.adminEditShare * 100}% of users after each import` : "",
    s.secondWriterShare > 0 ? `a second writer changes ${s.secondWriterShare * 100}% of users and groups after each import` : ""
  ]
    .filter((x) => x !== "")
    .join("; ")
