import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { schemaReference } from "../src/commands/SchemaSources.ts"

describe("schema --out: the $schema reference to add to the YAML", () => {
  it("is ./relative for a file in or below the working directory, ../ above it", () => {
    expect(schemaReference("anysource.schema.json")).toBe("./anysource.schema.json")
    expect(schemaReference("./schemas/a.json")).toBe("./schemas/a.json")
    expect(schemaReference("../common/a.json")).toBe("../common/a.json")
  })

  it("is a file:// URL for an absolute path (it was the broken `.//abs/path.json`)", () => {
    const abs = path.resolve("/tmp/x y/anysource.schema.json")
    expect(schemaReference(abs)).toBe("file:///tmp/x%20y/anysource.schema.json")
  })
})
