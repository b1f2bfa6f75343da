/**
 * The source registry: every adapter this worker build can use, by `source.type`. To add a source,
 * add its package to package.json (devDependencies: the bundle includes it) and one line here
 * (see CONTRIBUTING.md).
 */
import type { Source } from "@anysource/core"
import { FileSource } from "@anysource/source-file"
import { GoogleSheetsSource } from "@anysource/source-google-sheets"
import { RestSource } from "@anysource/source-rest"
import { SftpSource } from "@anysource/source-sftp"
import { sqlSource } from "@anysource/source-sql"

export const sources: ReadonlyArray<Source.SourceDefinition> = [FileSource, SftpSource, sqlSource, GoogleSheetsSource, RestSource]
