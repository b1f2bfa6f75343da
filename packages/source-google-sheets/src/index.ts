/**
 * `@anysource/source-google-sheets`: the `google-sheets` source (one tab of a Google spreadsheet) and its config.
 * The local Sheets-compatible test server is in `@anysource/source-google-sheets/testing`.
 */
export {
  GoogleSheetsSource,
  makeSheetsSource,
  type GoogleSheetsSourceInstance,
  type Stats
} from "./GoogleSheetsSource.ts"
export {
  GoogleSheetsConfig,
  DateHandling,
  parseSpreadsheetRef,
  READONLY_SCOPE,
  type SpreadsheetRef
} from "./GoogleSheetsConfig.ts"
export * as SheetDates from "./SheetDates.ts"
