/**
 * The source registry: every adapter the CLI can use, by `source.type`. To add a source, add its
 * package to package.json and one line here (see CONTRIBUTING.md).
 */
import type { Source } from "@anysource/core"
import { FileSource } from "@anysource/source-file"
import { GoogleSheetsSource } from "@anysource/source-google-sheets"
import { RestSource } from "@anysource/source-rest"
import { SftpSource } from "@anysource/source-sftp"
import { sqlSource } from "@anysource/source-sql"

export const sources: ReadonlyArray<Source.SourceDefinition> = [FileSource, sqlSource, SftpSource, GoogleSheetsSource, RestSource]

export const find = (id: string): Source.SourceDefinition | undefined => sources.find((s) => s.id === id)
