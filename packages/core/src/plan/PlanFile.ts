/**
 * Reading a saved plan (`plan --out`, `apply --plan`) as a stream: a first run of a million people saves a plan of
 * half a gigabyte, more than one JavaScript string can hold. The file is tokenized as it is read
 * (@streamparser/json); each change is validated on its own (its index in the message) and goes to a `SortedSpill`,
 * so the plan's users are held in memory only when they are few; the content hash is computed on the way, from
 * the stable JSON of each piece, exactly as `PlanJson.hash` computes it over a whole plan.
 *
 * Streaming needs the file's top-level keys in sorted order, as anysource (and `jq -S`) writes them; a file in
 * another order is read whole through `PlanJson.parse` when it is small enough to be one string.
 */
import { createHash } from "node:crypto"
import { createReadStream, statSync } from "node:fs"
import { readFile as readWholeFile } from "node:fs/promises"
import { Tokenizer, TokenParser, TokenType } from "@streamparser/json"
import { Effect } from "effect"
import type { z } from "zod"
import { ConfigError } from "../domain/Errors.ts"
import * as Hash from "../domain/Hash.ts"
import { SortedSpill, type SpillOptions } from "./internal/spill.ts"
import type { Plan, UserChange } from "./Plan.ts"
import * as PlanJson from "./PlanJson.ts"

/** The lists of a plan, read item by item; everything else is small and read whole. */
const LISTS = ["groups", "issues", "memberships", "users"] as const
const SCALARS = ["createdAt", "hash", "identitySourceId", "inputs", "summary", "version"] as const
type ListKey = (typeof LISTS)[number]
const isList = (k: string): k is ListKey => (LISTS as ReadonlyArray<string>).includes(k)

/** Files up to this size are read whole when their keys are not in the streamed order. */
const WHOLE_LIMIT = 256 * 1024 * 1024

class OutOfOrder extends Error {}

/** Why a piece of the file is not a plan: a `ConfigError` naming the file and the path. */
const invalid = (file: string, path: string, message: string) =>
  new ConfigError({
    reason: "Invalid",
    file,
    path,
    message: `${file}: not a valid anysource plan: ${path}: ${message}`
  })

const itemSchema = (key: ListKey): z.ZodType =>
  (PlanJson.PlanSchema.shape[key] as unknown as z.ZodArray<z.ZodType>).element

/** The hash of a plan written piece by piece in sorted key order (without `createdAt` and `hash`). */
class StreamedHash {
  private readonly hasher = createHash("sha256")
  private buffer = "{"
  private first = true
  private lastKey = ""

  /** Start the member `key`; throws `OutOfOrder` when the keys are not sorted. */
  key(key: string): void {
    if (key <= this.lastKey) throw new OutOfOrder(key)
    this.lastKey = key
    if (key === "createdAt" || key === "hash") return
    this.write(`${this.first ? "" : ","}${JSON.stringify(key)}:`)
    this.first = false
  }

  write(text: string): void {
    this.buffer += text
    if (this.buffer.length >= 1 << 16) {
      this.hasher.update(this.buffer)
      this.buffer = ""
    }
  }

  digest(): string {
    this.hasher.update(`${this.buffer}}`)
    return this.hasher.digest("hex")
  }
}

interface Reading {
  readonly file: string
  readonly header: Record<string, unknown>
  readonly lists: { groups: Array<unknown>; issues: Array<unknown>; memberships: Array<unknown> }
  readonly users: SortedSpill<UserChange>
  readonly hash: StreamedHash
  /** The top-level member being read. */
  current: string | undefined
  /** Every top-level key of the file. */
  readonly seen: Set<string>
  counts: Record<ListKey, number>
  /** The first invalid item (reported after the version check: a plan of another version fails on its version). */
  itemError: ConfigError | undefined
}

/** Where the token stream stands: the depth, and the top-level key just read. */
const tracker = (r: Reading) => {
  let depth = 0
  let expectKey = false
  let listValue = false
  return (token: TokenType, value: unknown): void => {
    if (listValue && token !== TokenType.COLON) {
      listValue = false
      if (token !== TokenType.LEFT_BRACKET) r.itemError ??= invalid(r.file, r.current!, "expected an array")
    }
    if (depth === 1 && expectKey && token === TokenType.STRING) {
      if (r.current !== undefined && isList(r.current)) r.hash.write("]")
      r.current = value as string
      r.seen.add(r.current)
      r.hash.key(r.current)
      if (isList(r.current)) {
        r.hash.write("[")
        listValue = true
      }
    }
    if (token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET) depth++
    else if (token === TokenType.RIGHT_BRACE || token === TokenType.RIGHT_BRACKET) depth--
    expectKey = depth === 1 && (token === TokenType.LEFT_BRACE || token === TokenType.COMMA)
  }
}

/** One emitted value: a list item (depth 2) or a whole top-level member. */
const onValue = (r: Reading, value: unknown, key: string | number | undefined, depth: number): void => {
  const top = r.current!
  if (depth === 2 && isList(top)) {
    const i = r.counts[top]++
    const parsed = itemSchema(top).safeParse(value)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      r.itemError ??= invalid(
        r.file,
        `${top}[${i}]${issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}`,
        issue.message
      )
      return
    }
    r.hash.write(`${i === 0 ? "" : ","}${Hash.stableStringify(parsed.data)}`)
    if (top === "users") r.users.add(parsed.data as UserChange)
    else r.lists[top].push(parsed.data)
    return
  }
  if (depth === 1 && typeof key === "string" && !isList(key)) {
    r.header[key] = value
    if (key !== "createdAt" && key !== "hash") r.hash.write(Hash.stableStringify(value))
  }
}

/** Tokenize `file` into `r`; fails with the first problem (bad JSON, a bad item, keys out of order). */
const stream = (r: Reading): Promise<void> =>
  new Promise((resolve, reject) => {
    const tokenizer = new Tokenizer()
    // the lists' items and the other members by name: selecting `$.*` would keep every item inside its list
    const parser = new TokenParser({
      paths: [...SCALARS.map((k) => `$.${k}`), ...LISTS.map((k) => `$.${k}.*`)],
      keepStack: false
    })
    const track = tracker(r)
    let failed: unknown
    const fail = (e: unknown) => {
      failed ??= e
      input.destroy()
    }
    tokenizer.onToken = (t) => {
      if (failed !== undefined) return
      track(t.token, t.value)
      parser.write(t)
    }
    tokenizer.onError = fail
    parser.onError = fail
    parser.onValue = ({ value, key, stack }) => {
      if (failed !== undefined) return
      try {
        onValue(r, value, key, stack.length)
      } catch (e) {
        fail(e)
      }
    }
    const input = createReadStream(r.file, { highWaterMark: 1 << 20 })
    input.on("data", (chunk) => {
      try {
        tokenizer.write(chunk as Buffer)
      } catch (e) {
        fail(e)
      }
    })
    input.on("error", (e) => reject(failed ?? e))
    input.on("close", () => {
      if (failed !== undefined) return reject(failed)
      if (!parser.isEnded) return reject(new Error("the file ends early (cut off while it was written?)"))
      resolve()
    })
  })

const toConfigError = (file: string, e: unknown): ConfigError => {
  if (e instanceof ConfigError) return e
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  if (typeof code === "string" && !code.startsWith("ERR_"))
    return new ConfigError({
      reason: "NotFound",
      file,
      message: `Could not read ${file}: ${code === "ENOENT" ? "no such file" : (e as Error).message}`
    })
  return new ConfigError({
    reason: "Parse",
    file,
    message: `${file}: not a plan: invalid JSON (${e instanceof Error ? e.message : String(e)})`
  })
}

/**
 * Read a plan file as `PlanJson.parse` reads its text, without holding it whole: same checks (version, shape, the
 * content hash), same `ConfigError`s, the plan's users spilled to a temporary file past `spill.after` of them.
 */
export const read = (
  file: string,
  options: { readonly spill?: SpillOptions } = {}
): Effect.Effect<Plan, ConfigError> =>
  Effect.gen(function* () {
    const r: Reading = {
      file,
      header: {},
      lists: { groups: [], issues: [], memberships: [] },
      users: new SortedSpill<UserChange>(options.spill),
      hash: new StreamedHash(),
      current: undefined,
      seen: new Set(),
      counts: { groups: 0, issues: 0, memberships: 0, users: 0 },
      itemError: undefined
    }
    const streamed = yield* Effect.tryPromise({ try: () => stream(r), catch: (e) => e }).pipe(
      Effect.as(true),
      Effect.catchIf(
        (e) => e instanceof OutOfOrder && statSync(file).size <= WHOLE_LIMIT,
        () => Effect.succeed(false)
      ),
      Effect.mapError((e) =>
        e instanceof OutOfOrder
          ? invalid(
              file,
              e.message,
              "the file's keys are not in the order anysource writes them, and it is too large to read whole; make it again with `anysource plan --out`"
            )
          : toConfigError(file, e)
      )
    )
    if (!streamed) {
      const text = yield* Effect.tryPromise({
        try: () => readWholeFile(file, "utf8"),
        catch: (e) => toConfigError(file, e)
      })
      return yield* PlanJson.parse(text, file)
    }
    if (r.current !== undefined && isList(r.current)) r.hash.write("]")
    const users = r.users.finish()
    // the header (and the lists' presence) through the plan schema; the lists' items were checked one by one
    const version = r.header["version"]
    if (version !== 1 && r.header["version"] !== undefined)
      return yield* PlanJson.parse(JSON.stringify({ version }), file).pipe(Effect.as(undefined as never))
    if (r.itemError !== undefined) return yield* Effect.fail(r.itemError)
    const unknown = [...r.seen].find((k) => !isList(k) && !(SCALARS as ReadonlyArray<string>).includes(k))
    if (unknown !== undefined)
      return yield* Effect.fail(invalid(file, "(root)", `unrecognized key ${JSON.stringify(unknown)}`))
    const present = Object.fromEntries(LISTS.filter((k) => r.seen.has(k)).map((k) => [k, []]))
    const shape = PlanJson.PlanSchema.safeParse({ ...r.header, ...present })
    if (!shape.success) {
      const issue = shape.error.issues[0]!
      return yield* Effect.fail(invalid(file, issue.path.join(".") || "(root)", issue.message))
    }
    const plan = { ...(shape.data as Omit<Plan, "users">), ...r.lists, users } as Plan
    const actual = r.hash.digest()
    if (actual !== plan.hash)
      return yield* Effect.fail(
        new ConfigError({
          reason: "Invalid",
          file,
          path: "hash",
          message: `${file}: the plan's content does not match its hash (recorded ${plan.hash.slice(0, 12)}…, content ${actual.slice(0, 12)}…): it was edited after it was made. Make a new plan instead of editing one.`
        })
      )
    return plan
  })
