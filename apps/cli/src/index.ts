/**
 * `@anysource/cli` as a library: the command runner and the renderers, for tools that embed the CLI
 * or want its output formats (the HTML report, the plan summary).
 */
export * as Cli from "./Cli.ts"
export * as Env from "./Env.ts"
export * as ExitCodes from "./ExitCodes.ts"
export * as HtmlReport from "./HtmlReport.ts"
export * as Render from "./Render.ts"
export * as RenderError from "./RenderError.ts"
