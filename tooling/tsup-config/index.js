// Shared tsup preset for published @anysource packages: ESM, Node 20, d.ts, sourcemaps.
import { defineConfig } from "tsup"

/** @param {{ entry: Record<string,string> | string[], bundleAll?: boolean, banner?: string } & Record<string, unknown>} options */
export const library = (options) =>
  defineConfig({
    format: ["esm"],
    target: "node20",
    platform: "node",
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    ...options
  })
