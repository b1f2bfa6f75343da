import { StateStore } from "@anysource/core"
import { Effect } from "effect"
import * as SqliteStateStore from "../src/SqliteStateStore.ts"
import { StateStoreConformance } from "@anysource/core/testing"
import { freshDbPath, tempDir } from "./helpers/tempDir.ts"

const { stateStoreContract } = StateStoreConformance

const dir = tempDir()

stateStoreContract("memory (reference)", () => StateStore.makeMemory("0oaCONTRACT"))

stateStoreContract("sqlite file", () =>
  Effect.suspend(() => SqliteStateStore.make({ path: freshDbPath(dir), identitySourceId: "0oaCONTRACT" }))
)
