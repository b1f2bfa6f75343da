// Regenerates the presets sections of packages/source-rest/README.md (every preset's keys, notes, starter config
// and vendor references) and of the repository README (the list): `pnpm --filter @anysource/source-rest gen:presets`.
// test/Presets.test.ts fails when either is out of date.
import { readFileSync, writeFileSync } from "node:fs"
import { presetsList, presetsMarkdown, replaceSection } from "../src/Preset.ts"
import { presets } from "../src/presets/index.ts"

const write = (url: URL, section: string) => {
  const before = readFileSync(url, "utf8")
  const after = replaceSection(before, section)
  if (after !== before) writeFileSync(url, after)
  process.stdout.write(`${after === before ? "up to date" : "wrote"}: ${url.pathname}\n`)
}
write(new URL("../README.md", import.meta.url), presetsMarkdown(presets))
write(new URL("../../../README.md", import.meta.url), presetsList(presets))
