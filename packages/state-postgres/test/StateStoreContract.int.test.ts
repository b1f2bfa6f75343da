/** The shared StateStore contract (the suite the memory and SQLite stores pass), against a real PostgreSQL. */
import { StateStoreConformance } from "@anysource/core/testing"
import { open, schemas } from "./helpers/pg.ts"

const { fresh } = schemas("contract")

StateStoreConformance.stateStoreContract("postgres", () => open(fresh(), "0oaCONTRACT"))
