import { SourceConformance } from "@anysource/core/testing"
import { FileSource } from "../src/index.ts"
import { tempDir } from "./helpers.ts"

const tmp = tempDir()
const rows = Array.from({ length: 500 }, (_, i) => `E${i},Person ${i},p${i}@example.com`)

SourceConformance.run({
  definition: FileSource,
  validConfig: { path: "people-*.csv", pick: "all" },
  invalidConfigs: [
    {},
    { path: "" },
    { path: "people.csv", pick: "oldest" },
    { path: "people.csv", delimiter: ";" },
    { path: "people.csv", csv: { header: false } },
    { path: "people.csv", encoding: "klingon" },
    { path: "people.csv", checksum: { sha256: "not-hex" } }
  ],
  expectedRows: 500,
  failingConfig: { path: "missing.csv" },
  baseDir: tmp.dir,
  setup: () => {
    tmp.write("people-1.csv", `id,name,email\n${rows.slice(0, 250).join("\n")}\n`)
    tmp.write("people-2.csv", `id,name,email\n${rows.slice(250).join("\n")}\n`)
  },
  teardown: () => tmp.cleanup()
})
