/**
 * The `google-sheets` source: one tab (or an A1 range of it) of a Google spreadsheet, through the real
 * `@googleapis/sheets` client, authenticated by a service account, an OAuth refresh token or an API key
 * (read-only scope).
 *
 * A read is a consistent snapshot or a failure:
 * 1. metadata (`spreadsheets.get`): the tab, its grid size and id;
 * 2. rows from the header row down, in pages of `pageSize` rows (`'People'!A3:F5002`, …), streamed as they come;
 *    a tab that fits in one page is read with one request, which Google answers atomically;
 * 3. for a paged read, the pages are read again and compared by sha256 (`consistency: full`; `edges` re-reads only
 *    the first and last page, in one batchGet), and the metadata is fetched again and compared (grid size, title);
 *    any difference fails the stream with `SourceError{reason: "Consistency"}`, so core discards the run instead of
 *    syncing half an edit. (The Sheets API has no revision id to compare.)
 */
import { defineSource, SourceError } from "@anysource/core"
import type { Model, Source } from "@anysource/core"
import type { sheets_v4 } from "@googleapis/sheets"
import { Chunk, Effect, Option, Ref, type Scope, Stream } from "effect"
import { createHash } from "node:crypto"
import { effectiveDateHandling, GoogleSheetsConfig, parseSpreadsheetRef } from "./GoogleSheetsConfig.ts"
import { columnLetter, formatRange, parseRange, quoteSheet } from "./internal/a1.ts"
import * as Client from "./internal/client.ts"
import { sourceError } from "./internal/errors.ts"
import { blank, buildHeader, dateColumnsFromProbe, toRow, type Header, type Layout } from "./internal/rows.ts"

export { GoogleSheetsConfig } from "./GoogleSheetsConfig.ts"
export type Stats = Client.Stats

/** Rows of the first data rows whose cell formats decide `dateHandling.columns: auto`. */
const DATE_PROBE_ROWS = 50

const METADATA_FIELDS =
  "spreadsheetId,properties(title,timeZone),sheets(properties(sheetId,title,index,sheetType,gridProperties(rowCount,columnCount)))"
const PROBE_FIELDS = "sheets(data(rowData(values(effectiveFormat(numberFormat(type))))))"

/** What the metadata said about the tab, and where to read. */
interface Target {
  readonly spreadsheetTitle: string
  readonly timeZone: string
  readonly sheetId: number
  readonly rowCount: number
  readonly columnCount: number
  readonly layout: Layout
  /** Last sheet row to read (1-based, inclusive). */
  readonly lastRow: number
}

/** What the last completed read saw (for `fingerprint`). */
interface Facts {
  readonly target: Target
  readonly rows: number
  readonly sha256: string
}

/** A `Source` plus its request counters. */
export interface GoogleSheetsSourceInstance extends Source.Source {
  /** Requests, retries, 429s and time waited so far, across `check` and every `read`. */
  readonly stats: Effect.Effect<Stats>
}

const sha256 = (value: unknown) =>
  createHash("sha256")
    .update(JSON.stringify(value ?? []))
    .digest("hex")

const describe = (t: Target) =>
  `${formatRange(t.layout.sheet, t.layout.startColumn, t.layout.headerRow, t.layout.endColumn, t.lastRow)} of spreadsheet "${t.spreadsheetTitle}"`

/** Build the source (no request is sent until `check` or `read` runs). */
export const makeSheetsSource = (
  config: GoogleSheetsConfig,
  context: Source.SourceContext
): Effect.Effect<GoogleSheetsSourceInstance, SourceError, Scope.Scope> =>
  Effect.gen(function* () {
    const ref = parseSpreadsheetRef(config.spreadsheetId)
    if (ref === undefined)
      return yield* Effect.fail(sourceError("Config", `spreadsheetId is neither an ID nor a spreadsheet URL`))
    const range = config.range === undefined ? undefined : parseRange(config.range)
    const dates = effectiveDateHandling(config)
    const api = yield* Client.make(config, ref.id, ref.gid, context.baseDir)
    const lastRead = yield* Ref.make(Option.none<Facts>())

    const resolve = (meta: sheets_v4.Schema$Spreadsheet): Effect.Effect<Target, SourceError> => {
      const spreadsheetTitle = meta.properties?.title ?? ref.id
      const sheets = (meta.sheets ?? []).flatMap((s) => (s.properties ? [s.properties] : []))
      const titles = sheets.map((s) => s.title ?? "").join(", ")
      const wanted = config.sheet ?? range?.sheet
      const chosen =
        wanted !== undefined
          ? sheets.find((s) => s.title === wanted)
          : ref.gid !== undefined
            ? sheets.find((s) => s.sheetId === ref.gid)
            : (sheets.find((s) => (s.sheetType ?? "GRID") === "GRID") ?? undefined)
      if (!chosen || chosen.title === undefined || chosen.title === null) {
        const what =
          wanted !== undefined
            ? `tab "${wanted}"`
            : ref.gid !== undefined
              ? `a tab with gid=${ref.gid}`
              : "a tab"
        return Effect.fail(
          sourceError(
            "NotFound",
            `spreadsheet "${spreadsheetTitle}" has no ${what} (tabs: ${titles || "none"})`
          )
        )
      }
      if ((chosen.sheetType ?? "GRID") !== "GRID") {
        return Effect.fail(
          sourceError(
            "NotFound",
            `tab "${chosen.title}" of spreadsheet "${spreadsheetTitle}" is a ${chosen.sheetType}, not a grid of cells`
          )
        )
      }
      const rowCount = chosen.gridProperties?.rowCount ?? 1000
      const columnCount = chosen.gridProperties?.columnCount ?? 26
      const startColumn = range?.startColumn ?? 0
      const startRow = range?.startRow ?? 1
      if (startColumn >= columnCount || startRow > rowCount) {
        return Effect.fail(
          sourceError(
            "Config",
            `range ${config.range} starts outside tab "${chosen.title}", which has ${rowCount} rows and ${columnCount} columns (A–${columnLetter(columnCount - 1)})`
          )
        )
      }
      const lastRow = Math.min(range?.endRow ?? rowCount, rowCount)
      const headerRow = config.headerRow ?? startRow
      if (headerRow > lastRow) {
        return Effect.fail(
          sourceError(
            "Config",
            `headerRow ${headerRow} is below the last row of tab "${chosen.title}" (${lastRow})`
          )
        )
      }
      return Effect.succeed({
        spreadsheetTitle,
        timeZone: meta.properties?.timeZone ?? "",
        sheetId: chosen.sheetId ?? 0,
        rowCount,
        columnCount,
        layout: {
          sheet: chosen.title,
          startColumn,
          endColumn: Math.min(range?.endColumn ?? columnCount - 1, columnCount - 1),
          headerRow
        },
        lastRow
      })
    }

    const target = (doing: string) =>
      api
        .metadata({ doing: `${doing} spreadsheet ${ref.id}`, fields: METADATA_FIELDS })
        .pipe(Effect.flatMap(resolve))

    const check: Effect.Effect<void, SourceError> = target("checking").pipe(
      Effect.asVoid,
      Effect.withSpan("source-google-sheets.check")
    )

    const probeDates = (t: Target): Effect.Effect<ReadonlySet<number>, SourceError> => {
      if (dates?.columns !== "auto" || t.layout.headerRow >= t.lastRow) return Effect.succeed(new Set())
      const probe = formatRange(
        t.layout.sheet,
        t.layout.startColumn,
        t.layout.headerRow + 1,
        t.layout.endColumn,
        Math.min(t.layout.headerRow + DATE_PROBE_ROWS, t.lastRow)
      )
      return api
        .metadata({ doing: `probing the date formats of ${probe}`, ranges: [probe], fields: PROBE_FIELDS })
        .pipe(Effect.map((meta) => dateColumnsFromProbe(meta.sheets?.[0]?.data?.[0]?.rowData ?? [])))
    }

    const read: Stream.Stream<Model.SourceRow, SourceError> = Stream.unwrap(
      Effect.gen(function* () {
        const before = yield* target("reading the metadata of")
        const probed = yield* probeDates(before)
        const { layout } = before
        const pageCount = Math.ceil((before.lastRow - layout.headerRow + 1) / config.pageSize)
        /** Page `i`: its sheet rows and A1 range (the first page starts with the header row). */
        const pageAt = (i: number) => {
          const start = layout.headerRow + i * config.pageSize
          const end = Math.min(start + config.pageSize - 1, before.lastRow)
          return {
            start,
            end,
            range: formatRange(layout.sheet, layout.startColumn, start, layout.endColumn, end)
          }
        }
        const hashes: Array<string> = []
        let header: Header | undefined
        let emitted = 0

        const changed = (what: string) =>
          sourceError(
            "Consistency",
            `tab ${quoteSheet(layout.sheet)} of spreadsheet "${before.spreadsheetTitle}" changed while it was being read (${what}): nothing from this read may be synced — run again once nobody is editing it`,
            { retryable: true }
          )
        /** A tab renamed or deleted after the metadata was read shows up as an unparseable range. */
        const midRead = (e: SourceError) =>
          e.reason === "NotFound" ? changed("the tab was renamed or deleted") : e

        const rowsOf = (
          values: ReadonlyArray<ReadonlyArray<unknown>>,
          start: number
        ): Effect.Effect<Chunk.Chunk<Model.SourceRow>, SourceError> => {
          const out: Array<Model.SourceRow> = []
          for (const [j, cells] of values.entries()) {
            const rowNumber = start + j
            if (rowNumber === layout.headerRow) {
              const h = buildHeader(cells, layout, config.columns, dates, probed)
              if (h instanceof SourceError) return Effect.fail(h)
              header = h
              continue
            }
            if (config.skipBlankRows && blank(cells)) continue
            const row = toRow(cells, rowNumber, layout, header!, dates)
            if (row instanceof SourceError) return Effect.fail(row)
            out.push(row)
          }
          emitted += out.length
          return Effect.succeed(Chunk.unsafeFromArray(out))
        }

        const fetchPage = (index: number) => {
          const page = pageAt(index)
          return api.values(page.range, `reading ${page.range} of spreadsheet ${ref.id}`).pipe(
            Effect.mapError(midRead),
            Effect.flatMap((vr) => {
              const values = (vr.values ?? []) as ReadonlyArray<ReadonlyArray<unknown>>
              hashes[index] = sha256(values)
              if (index === 0 && values.length === 0) {
                const h = buildHeader([], layout, config.columns, dates, probed)
                return Effect.fail(
                  h instanceof SourceError ? h : sourceError("Decode", "the header row is empty")
                )
              }
              return rowsOf(values, page.start)
            })
          )
        }

        const verify = Effect.gen(function* () {
          if (pageCount > 1) {
            if (config.consistency === "full") {
              for (let i = 0; i < pageCount; i++) {
                const page = pageAt(i)
                const again = yield* api
                  .values(page.range, `re-reading ${page.range} to verify it`)
                  .pipe(Effect.mapError(midRead))
                if (sha256(again.values) !== hashes[i])
                  return yield* Effect.fail(changed(`rows ${page.start}–${page.end} differ on a second read`))
              }
            } else {
              const first = pageAt(0)
              const last = pageAt(pageCount - 1)
              const again = yield* api
                .batchGet([first.range, last.range], `re-reading the first and last pages to verify them`)
                .pipe(Effect.mapError(midRead))
              if (sha256(again[0]?.values) !== hashes[0])
                return yield* Effect.fail(changed(`rows ${first.start}–${first.end} differ on a second read`))
              if (sha256(again[1]?.values) !== hashes[pageCount - 1])
                return yield* Effect.fail(changed(`rows ${last.start}–${last.end} differ on a second read`))
            }
          }
          const after = yield* target("re-reading the metadata of").pipe(Effect.mapError(midRead))
          if (after.layout.sheet !== layout.sheet || after.sheetId !== before.sheetId) {
            return yield* Effect.fail(changed("the tab was renamed or replaced"))
          }
          if (after.rowCount !== before.rowCount || after.columnCount !== before.columnCount) {
            return yield* Effect.fail(
              changed(
                `the grid went from ${before.rowCount}×${before.columnCount} to ${after.rowCount}×${after.columnCount}: rows or columns were inserted or deleted`
              )
            )
          }
          const digest = createHash("sha256").update(hashes.join(",")).digest("hex")
          yield* Ref.set(lastRead, Option.some({ target: before, rows: emitted, sha256: digest }))
          yield* Effect.logDebug(
            `google-sheets: read ${emitted} rows from ${describe(before)} in ${pageCount} page(s)`
          )
        })

        const body = Stream.paginateChunkEffect(0, (index: number) =>
          fetchPage(index).pipe(
            Effect.map(
              (chunk) => [chunk, index + 1 < pageCount ? Option.some(index + 1) : Option.none()] as const
            )
          )
        )
        return Stream.concat(body, Stream.fromEffect(verify).pipe(Stream.drain))
      })
    ).pipe(Stream.withSpan("source-google-sheets.read"))

    const fingerprint: Effect.Effect<string | undefined> = Ref.get(lastRead).pipe(
      Effect.flatMap(
        Option.match({
          onSome: (f) =>
            Effect.succeed(
              `google-sheets ${ref.id} ${quoteSheet(f.target.layout.sheet)} gid=${f.target.sheetId} ${formatRange(f.target.layout.sheet, f.target.layout.startColumn, f.target.layout.headerRow, f.target.layout.endColumn, f.target.lastRow).split("!")[1]} rows=${f.rows} sha256=${f.sha256}`
            ),
          onNone: () =>
            target("fingerprinting").pipe(
              Effect.map(
                (t) =>
                  `google-sheets ${ref.id} ${quoteSheet(t.layout.sheet)} gid=${t.sheetId} grid=${t.rowCount}x${t.columnCount}`
              )
            )
        })
      ),
      Effect.orElseSucceed(() => undefined)
    )

    const source: GoogleSheetsSourceInstance = { check, read, fingerprint, stats: api.stats }
    return source
  })

export const GoogleSheetsSource = defineSource({
  id: "google-sheets",
  displayName: "Google Sheets",
  description:
    "One tab (or A1 range) of a Google spreadsheet: service account, OAuth refresh token or API key; header row, dates, paged and consistency-checked reads.",
  docs: {
    summary: "one tab of a Google spreadsheet, with consistent paged reads",
    example: `source:
  type: google-sheets
  # One tab of a spreadsheet shared with the service account. See \`anysource sources google-sheets\`.
  spreadsheetId: your-spreadsheet-id
  sheet: Employees                  # the first row is the header
  auth:
    type: serviceAccount
    key: \${GOOGLE_SA_KEY}          # the key JSON, or GOOGLE_SA_KEY_FILE=/run/secrets/sa.json`
  },
  config: GoogleSheetsConfig,
  limits: { requestsPerSecond: 1 },
  make: makeSheetsSource
})
