/**
 * The preset registry: every `source.preset` the `rest` source knows. To add one, write `<id>.ts` next to this
 * file and add it to this list (see docs/contributing-a-source.md).
 */
import type { RestPreset } from "../Preset.ts"
import { bamboohr } from "./bamboohr.ts"
import { hibob } from "./hibob.ts"
import { personio } from "./personio.ts"
import { successfactors } from "./successfactors.ts"
import { workday } from "./workday.ts"

export const presets: ReadonlyArray<RestPreset> = [bamboohr, workday, hibob, personio, successfactors]

export const presetIds: ReadonlyArray<string> = presets.map((p) => p.id)

export const findPreset = (id: string): RestPreset | undefined => presets.find((p) => p.id === id)
