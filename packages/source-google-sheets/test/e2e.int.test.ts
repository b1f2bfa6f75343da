/**
 * End to end: the example pipeline (examples/sheets/anysource.yaml) with its Google Sheets source pointed at the
 * local fake (rootUrl / tokenUrl) → core's Sync use case → plan → apply into the Okta emulator, with an in-memory
 * StateStore. The service account key arrives as GOOGLE_SA_KEY_FILE, the way a deployment passes secrets.
 * A sheet edited during a paged read stops the run before anything reaches Okta.
 */
import { it } from "@effect/vitest"
import { ConfigLoader, OktaClient, StateStore, Sync } from "@anysource/core"
import { DEFAULT_API_TOKEN, startEmulator, type RunningEmulator } from "@anysource/okta-emulator"
import { Effect, Layer, Option, Redacted } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, expect } from "vitest"
import { parse as parseYaml } from "yaml"
import { GoogleSheetsSource } from "../src/index.ts"
import { FakeSheetsServer } from "../src/testing.ts"
import { serviceAccount, SPREADSHEET_ID, startFake } from "./helpers.ts"

const { dateCell } = FakeSheetsServer
const exampleDir = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../../examples/sheets")
const IDENTITY_SOURCE = "0oasheets00000000001"
const SHEET_URL = `https://docs.google.com/spreadsheets/d/${SPREADSHEET_ID}/edit#gid=0`

const staff: ReadonlyArray<ReadonlyArray<FakeSheetsServer.CellInput>> = [
  ["ACME staff list — edited by People Ops, please keep the header as is"],
  [],
  ["Employee ID", "Name", "", "Work e-mail", "Start date", "Department", "Status"],
  [
    "E1001",
    "Ada",
    "Lovelace",
    "Ada@ACME.example ",
    dateCell("2021-04-12", "2021-04-12"),
    "Engineering",
    "Active"
  ],
  [
    "E1002",
    "Grace",
    "Hopper",
    "grace@acme.example",
    dateCell("2022-11-03", "11/3/2022"),
    "Engineering",
    "Left"
  ],
  [],
  ["E1003", "Zoë", "Ångström", "zoe@acme.example", dateCell("2024-03-01", "1 Mar 2024"), "Forschung"],
  ["E1004", "Alan", "Turing", "alan@acme.example", "6/23/2023", "Research", "Active"],
  ["  ", "", " "],
  [
    "E1005",
    "Katherine",
    "Johnson",
    "katherine@acme.example",
    dateCell("2020-01-06", "2020-01-06"),
    "Research",
    "Active"
  ]
]

let emu: RunningEmulator
let fake: FakeSheetsServer.FakeSheetsServer
let secrets = ""

beforeAll(async () => {
  emu = await startEmulator({
    strict: true,
    processingDelayMs: 20,
    // the example's attributes declared on the identity source, as `anysource setup apply` does (examples/sheets/README.md)
    identitySources: [{ id: IDENTITY_SOURCE, name: "Staff sheet", customAttributes: ["department", "startDate"] }]
  })
  fake = await startFake({
    spreadsheets: [
      {
        id: SPREADSHEET_ID,
        title: "ACME staff",
        readers: [serviceAccount.email],
        sheets: [{ title: "Staff", rows: staff, merges: ["A1:G1", "B3:C3"], rowCount: 14, columnCount: 7 }]
      }
    ]
  })
  secrets = Fs.mkdtempSync(Path.join(Os.tmpdir(), "anysource-sheets-e2e-"))
  Fs.writeFileSync(Path.join(secrets, "sa.json"), serviceAccount.keyJson())
})

afterAll(async () => {
  await fake?.close()
  await emu?.close()
  if (secrets !== "") Fs.rmSync(secrets, { recursive: true, force: true })
})

/** The example config, pointed at the fake and the emulator; `source` overrides on top. */
const loadExample = (source: Record<string, unknown> = {}) =>
  Effect.gen(function* () {
    const raw = parseYaml(Fs.readFileSync(Path.join(exampleDir, "anysource.yaml"), "utf8")) as Record<
      string,
      any
    >
    raw.okta = { ...raw.okta, orgUrl: emu.url, auth: { type: "ssws", token: "${OKTA_API_TOKEN}" } }
    raw.source = { ...raw.source, rootUrl: fake.url, tokenUrl: fake.tokenUrl, ...source }
    raw.state = { type: "memory" }
    return yield* ConfigLoader.parse(raw, {
      env: {
        STAFF_SHEET_URL: SHEET_URL,
        GOOGLE_SA_KEY_FILE: Path.join(secrets, "sa.json"),
        OKTA_API_TOKEN: DEFAULT_API_TOKEN
      },
      sources: [GoogleSheetsSource],
      baseDir: exampleDir,
      file: "examples/sheets/anysource.yaml"
    })
  })

it.live(
  "Google Sheet → plan → apply into the emulator; an edit during the read stops the run",
  () =>
    Effect.gen(function* () {
      const store = yield* StateStore.makeMemory(IDENTITY_SOURCE)
      const layer = Layer.mergeAll(
        OktaClient.layer({
          orgUrl: emu.url,
          identitySourceId: IDENTITY_SOURCE,
          auth: { type: "ssws", token: Redacted.make(DEFAULT_API_TOKEN) },
          maxRetries: 2
        }).pipe(Layer.orDie),
        Layer.succeed(StateStore.StateStore, store)
      )
      const sync = (mode: "plan" | "apply", source: Record<string, unknown> = {}, sourceRetries?: number) =>
        Effect.flatMap(loadExample(source), (loaded) =>
          Sync.runWithReport({ loaded, mode, ...(sourceRetries !== undefined ? { sourceRetries } : {}) })
        ).pipe(
          Effect.provide(layer)
        )

      // 1. plan: four people (Grace has left), two departments; nothing reaches Okta.
      const planned = yield* sync("plan")
      expect(Option.getOrUndefined(planned.error)).toBeUndefined()
      expect(planned.report.outcome).toBe("planned")
      expect(planned.report.summary?.users).toMatchObject({ create: 4 })
      expect(planned.report.sourceFingerprint).toMatch(
        /^google-sheets 1PeopleSheet_0123456789abcdef Staff gid=0 A3:G14 rows=5 sha256=/
      )
      expect(emu.directory.users(IDENTITY_SOURCE)).toHaveLength(0)

      // 2. apply: the users land with ISO start dates (serials, and one typed as text) and trimmed, lower-cased emails.
      const applied = yield* sync("apply")
      expect(applied.report.outcome).toBe("applied")
      const users = emu.directory
        .users(IDENTITY_SOURCE)
        .sort((a, b) => a.externalId.localeCompare(b.externalId))
      expect(
        users.map((u) => [u.externalId, u.profile["email"], u.profile["lastName"], u.profile["startDate"]])
      ).toEqual([
        ["E1001", "ada@acme.example", "Lovelace", "2021-04-12"],
        ["E1003", "zoe@acme.example", "Ångström", "2024-03-01"],
        ["E1004", "alan@acme.example", "Turing", "2023-06-23"],
        ["E1005", "katherine@acme.example", "Johnson", "2020-01-06"]
      ])
      expect(emu.directory.members("dept-research", IDENTITY_SOURCE)).toEqual(["E1004", "E1005"])

      // 3. someone edits a cell: exactly that update is applied.
      fake.setCell(SPREADSHEET_ID, "Staff", "C4", "Byron")
      const updated = yield* sync("apply")
      expect(updated.report.summary?.users).toMatchObject({ create: 0, update: 1, unchanged: 3 })
      expect(
        emu.directory.users(IDENTITY_SOURCE).find((u) => u.externalId === "E1001")?.profile["lastName"]
      ).toBe("Byron")

      // 4. an edit lands while a paged read (pages of 3 rows) is in flight, and re-reading is off: the run fails
      //    Consistency; Okta is untouched.
      const sessionsBefore = emu.sessions(IDENTITY_SOURCE).length
      let values = 0
      const off = fake.onRequest((entry) => {
        if (entry.kind === "values" && ++values === 2)
          fake.setCell(SPREADSHEET_ID, "Staff", "C7", "Ångström-Berg")
      })
      const raced = yield* sync("apply", { pageSize: 3 }, 0).pipe(Effect.ensuring(Effect.sync(off)))
      expect(raced.report.outcome).toBe("failed")
      expect(Option.getOrThrow(raced.error)).toMatchObject({
        _tag: "SourceError",
        source: "google-sheets",
        reason: "Consistency"
      })
      expect(raced.report.error?.message).toContain("changed while it was being read")
      expect(emu.sessions(IDENTITY_SOURCE)).toHaveLength(sessionsBefore)
      expect(
        emu.directory.users(IDENTITY_SOURCE).find((u) => u.externalId === "E1003")?.profile["lastName"]
      ).toBe("Ångström")

      // 5. by default core reads again from the start after a Consistency error (it is retryable): another edit
      //    during the read is detected, the second read is consistent, and exactly the edits are applied.
      let reads = 0
      const off2 = fake.onRequest((entry) => {
        if (entry.kind === "values" && ++reads === 2) fake.setCell(SPREADSHEET_ID, "Staff", "C4", "Lovelace")
      })
      const settled = yield* sync("apply", { pageSize: 3 }).pipe(Effect.ensuring(Effect.sync(off2)))
      expect(settled.report.outcome).toBe("applied")
      expect(settled.report.summary?.users).toMatchObject({ update: 2, unchanged: 2 })
      expect(
        emu.directory.users(IDENTITY_SOURCE).find((u) => u.externalId === "E1003")?.profile["lastName"]
      ).toBe("Ångström-Berg")
      expect(
        emu.directory.users(IDENTITY_SOURCE).find((u) => u.externalId === "E1001")?.profile["lastName"]
      ).toBe("Lovelace")
    }),
  60_000
)
