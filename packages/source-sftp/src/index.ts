export { SftpSource, SftpSourceConfig } from "./SftpSource.ts"
export * as KnownHosts from "./KnownHosts.ts"
