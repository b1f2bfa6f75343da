/**
 * The source registry: every adapter this worker build can use, by `source.type`. To add a source,
 * add its package to package.json and one line here (see CONTRIBUTING.md).
 */
import type { Source } from "@anysource/core"
import { FileSource } from "@anysource/source-file"
import { RestSource } from "@anysource/source-rest"
import { sqlSource } from "@anysource/source-sql"

export const sources: ReadonlyArray<Source.SourceDefinition> = [FileSource, RestSource, sqlSource]
