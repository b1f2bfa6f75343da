/**
 * End to end: a YAML pipeline config with an SFTP source (secret key from the environment, pinned host key,
 * `.done` marker, archive after apply) → core's Sync use case → plan → apply into the Okta emulator, with an
 * in-memory StateStore. The file is archived only after an apply Okta reported COMPLETED — never after a plan.
 */
import { it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { ConfigLoader, OktaClient, StateStore, Sync } from "@anysource/core"
import { DEFAULT_API_TOKEN, DEFAULT_IDENTITY_SOURCE_ID, startEmulator, type RunningEmulator } from "@anysource/okta-emulator"
import { Effect, Layer, Option, Redacted } from "effect"
import { afterAll, beforeAll, expect } from "vitest"
import { SftpSource } from "../src/index.ts"
import { Remote, sftpEnv } from "./support/sftp.ts"

const remote = new Remote()
let emu: RunningEmulator
let tmp = ""

const people = (rows: ReadonlyArray<[string, string, string]>) =>
  ["employee_id,email,first_name,last_name", ...rows.map(([id, first, last]) => `${id},${first.toLowerCase()}@example.com,${first},${last}`)].join("\n") + "\n"

const first = people([
  ["E1", "Ada", "Lovelace"],
  ["E2", "Grace", "Hopper"],
  ["E3", "Alan", "Turing"]
])
const second = people([
  ["E1", "Ada", "Byron"], // changed
  ["E2", "Grace", "Hopper"],
  ["E3", "Alan", "Turing"]
])

beforeAll(async () => {
  await remote.open()
  emu = await startEmulator({ strict: true, processingDelayMs: 20 })
  tmp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "anysource-sftp-e2e-"))
  const env = sftpEnv()
  Fs.writeFileSync(
    Path.join(tmp, "anysource.yaml"),
    `version: 1
okta:
  orgUrl: ${emu.url}
  identitySourceId: ${DEFAULT_IDENTITY_SOURCE_ID}
  auth: { type: ssws, token: "\${OKTA_API_TOKEN}" }
source:
  type: sftp
  host: ${env.host}
  port: ${env.port}
  username: ${env.user}
  privateKey: \${SFTP_KEY}
  hostKey: { fingerprint: "${env.fingerprint}" }
  path: ${remote.path("inbox")}/people-*.csv
  ready: { marker: "{name}.done" }
  archiveDir: processed
mapping:
  externalId: employee_id
  profile:
    userName: email
    email: email
    firstName: first_name
    lastName: last_name
state: { type: memory }
`
  )
})

afterAll(async () => {
  await remote.close()
  await emu?.close()
  if (tmp !== "") Fs.rmSync(tmp, { recursive: true, force: true })
})

it.live(
  "SFTP CSV → plan → apply into the emulator; archived only after a COMPLETED apply",
  () =>
    Effect.gen(function* () {
      const loaded = yield* ConfigLoader.load(Path.join(tmp, "anysource.yaml"), {
        // The key arrives through ${SFTP_KEY}, as an app passes its environment.
        env: { SFTP_KEY: Fs.readFileSync(sftpEnv().keyFile, "utf8"), OKTA_API_TOKEN: DEFAULT_API_TOKEN },
        sources: [SftpSource]
      })
      const store = yield* StateStore.makeMemory(DEFAULT_IDENTITY_SOURCE_ID)
      const layer = Layer.mergeAll(
        OktaClient.layer({
          orgUrl: emu.url,
          identitySourceId: DEFAULT_IDENTITY_SOURCE_ID,
          auth: { type: "ssws", token: Redacted.make(DEFAULT_API_TOKEN) },
          maxRetries: 2
        }).pipe(Layer.orDie),
        Layer.succeed(StateStore.StateStore, store)
      )
      const sync = (mode: "plan" | "apply") => Sync.runWithReport({ loaded, mode }).pipe(Effect.provide(layer))
      const inbox = (name: string) => `inbox/${name}`

      // 1. The export is uploaded but its marker is not there yet: the run fails NotReady, nothing reaches Okta.
      yield* Effect.promise(() => remote.put(inbox("people-2024-06-01.csv"), first))
      const early = yield* sync("apply")
      expect(early.report.outcome).toBe("failed")
      expect(Option.getOrThrow(early.error)).toMatchObject({ _tag: "SourceError", reason: "NotReady" })
      expect(emu.directory.users()).toHaveLength(0)

      // 2. The marker arrives. A plan reads the file and archives nothing.
      yield* Effect.promise(() => remote.put(inbox("people-2024-06-01.csv.done"), ""))
      const planned = yield* sync("plan")
      expect(planned.report.outcome).toBe("planned")
      expect(planned.report.summary?.users.create).toBe(3)
      expect(planned.report.sourceFingerprint).toContain(`people-2024-06-01.csv size=${Buffer.byteLength(first)}`)
      expect(yield* Effect.promise(() => remote.list("inbox"))).toEqual(["people-2024-06-01.csv", "people-2024-06-01.csv.done"])

      // 3. Apply: the users land in the emulator, then the file and its marker move to inbox/processed.
      const applied = yield* sync("apply")
      expect(applied.report.outcome).toBe("applied")
      expect(applied.report.sessions.length).toBeGreaterThan(0)
      expect(emu.sessions().every((s) => s.status === "COMPLETED")).toBe(true)
      expect(
        emu.directory
          .users()
          .map((u) => `${u.externalId}:${u.profile["lastName"]}`)
          .sort()
      ).toEqual(["E1:Lovelace", "E2:Hopper", "E3:Turing"])
      expect(yield* Effect.promise(() => remote.list("inbox"))).toEqual(["processed"])
      expect(yield* Effect.promise(() => remote.list("inbox/processed"))).toEqual(["people-2024-06-01.csv", "people-2024-06-01.csv.done"])

      // 4. The next day's export changes one person: exactly that update is applied, and that file archived.
      yield* Effect.promise(async () => {
        await remote.put(inbox("people-2024-06-02.csv"), second)
        await remote.put(inbox("people-2024-06-02.csv.done"), "")
      })
      const next = yield* sync("apply")
      expect(next.report.outcome).toBe("applied")
      expect(next.report.summary?.users).toMatchObject({ create: 0, update: 1, unchanged: 2 })
      expect(emu.directory.users().find((u) => u.externalId === "E1")?.profile["lastName"]).toBe("Byron")
      expect(yield* Effect.promise(() => remote.list("inbox/processed"))).toHaveLength(4)

      // 5. Nothing new: the inbox is empty, so the run fails NotFound and changes nothing.
      const empty = yield* sync("apply")
      expect(Option.getOrThrow(empty.error)).toMatchObject({ _tag: "SourceError", reason: "NotFound" })
      expect(emu.directory.users()).toHaveLength(3)
    }),
  { timeout: 60_000 }
)
