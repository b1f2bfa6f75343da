/**
 * The source adapters this Lambda bundle knows, by `source.type`. To add one: add its package to
 * package.json and one line here (it must be pure JavaScript, or its native module must be packaged for
 * Lambda's Linux). The CLI keeps its own registry (apps/cli/src/Sources.ts); a shared registry package would
 * remove this duplication.
 */
import type { Source } from "@anysource/core"
import { FileSource } from "@anysource/source-file"
import { RestSource } from "@anysource/source-rest"

export const sources: ReadonlyArray<Source.SourceDefinition> = [FileSource, RestSource]
