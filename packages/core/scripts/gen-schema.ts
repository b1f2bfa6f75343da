// Regenerates schema/anysource.schema.json from the zod config schema: `pnpm --filter @anysource/core gen:schema`.
// test/JsonSchema.test.ts fails when the committed file is out of date.
import { mkdirSync, writeFileSync } from "node:fs"
import { jsonSchema } from "../src/config/JsonSchema.ts"

const directory = new URL("../schema/", import.meta.url)
mkdirSync(directory, { recursive: true })
writeFileSync(new URL("anysource.schema.json", directory), `${JSON.stringify(jsonSchema(), null, 2)}\n`)
process.stdout.write("wrote schema/anysource.schema.json\n")
