/**
 * Shared setup of the verification, drift, refresh and rebuild tests: a strict emulator on loopback (its
 * `simulate` modes on demand), an in-memory state, a source whose rows the test changes between runs, and Sync.
 */
import type { EmulatorOptions } from "@anysource/okta-emulator"
import { Effect, Layer, Stream } from "effect"
import { z } from "zod"
import * as ConfigLoader from "../src/config/ConfigLoader.ts"
import type { SourceDefinition } from "../src/domain/Source.ts"
import * as StateStore from "../src/state/StateStore.ts"
import * as Sync from "../src/run/Sync.ts"
import { clientFor, emulator, SOURCE_ID } from "./emulatorHarness.ts"

export interface Person {
  readonly id: string
  readonly email: string
  readonly first: string
  readonly title: string
  readonly dept: string
}

export const people = (n: number, title = "Engineer"): Array<Person> =>
  Array.from({ length: n }, (_, i) => ({
    id: `E${String(i + 1).padStart(3, "0")}`,
    email: `person${i + 1}@example.com`,
    first: `First${i + 1}`,
    title,
    dept: i % 2 === 0 ? "Sales" : "Engineering"
  }))

/** A source over `rows.current`, read afresh on every run; counts its reads. */
export const mutableSource = (initial: ReadonlyArray<Person>) => {
  const state = { rows: [...initial] as Array<Person>, reads: 0 }
  const definition: SourceDefinition = {
    id: "test",
    displayName: "rows",
    config: z.object({}),
    make: () =>
      Effect.succeed({
        check: Effect.void,
        read: Stream.suspend(() => {
          state.reads++
          return Stream.fromIterable(
            state.rows.map((data, i) => ({ data: { ...data }, location: `mem:${i + 1}` }))
          )
        })
      })
  }
  return { state, definition }
}

export const load = (source: SourceDefinition, orgUrl: string, extra: Record<string, unknown> = {}) =>
  ConfigLoader.parse(
    {
      version: 1,
      okta: { orgUrl, identitySourceId: SOURCE_ID, auth: { type: "ssws", token: "${TOKEN}" } },
      source: { type: "test" },
      mapping: {
        externalId: "id",
        profile: { userName: "email", email: "email", firstName: "first", title: "title" }
      },
      groups: [{ externalId: "'dept-' & $lowercase(dept)", displayName: "dept" }],
      schema: { users: { attributes: { title: {} } } },
      state: { type: "memory" },
      ...extra
    },
    { env: { TOKEN: "emulator-api-token" }, sources: [source], baseDir: "." }
  ).pipe(Effect.map((loaded) => ({ ...loaded, sourceConfig: {} })))

/** An emulator (with `options`), a memory state, and `sync` / `withOkta` running against both. */
export const org = (options: EmulatorOptions = {}) =>
  Effect.gen(function* () {
    const h = yield* emulator(options)
    let store = yield* StateStore.makeMemory(SOURCE_ID)
    const layer = () => Layer.merge(clientFor(h.emu), Layer.succeed(StateStore.StateStore, store))
    const sync = (o: Sync.SyncOptions) => Sync.runWithReport(o).pipe(Effect.provide(layer()))
    const withOkta = <A, E>(
      effect: Effect.Effect<A, E, StateStore.StateStore | import("../src/okta/OktaClient.ts").OktaClient>
    ) => effect.pipe(Effect.provide(layer()))
    /** Lose the state (a deleted file): the next runs see an empty store. */
    const loseState = Effect.map(StateStore.makeMemory(SOURCE_ID), (fresh) => {
      store = fresh
    })
    return { h, sync, withOkta, loseState, store: () => store }
  })

/** GET requests the emulator saw on single-entity paths (users, groups, memberships). */
export const reads = (h: {
  readonly emu: { readonly requests: ReadonlyArray<{ readonly method: string; readonly path: string }> }
}) => h.emu.requests.filter((r) => r.method === "GET" && /\/(users|groups)\//.test(r.path)).length
