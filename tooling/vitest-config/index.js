// Shared vitest config. Every package writes test-results.json (vitest's JSON reporter):
// .ci/run sums those files into the one "N passed, N failed" line.
import { defineConfig, mergeConfig } from "vitest/config"

/** @param {import("vitest/config").UserConfig} [overrides] */
export const project = (overrides = {}) =>
  mergeConfig(
    defineConfig({
      test: {
        include: ["test/**/*.test.ts"],
        reporters: ["default", ["json", { outputFile: "test-results.json" }]],
        testTimeout: 30_000,
        hookTimeout: 120_000,
        pool: "forks",
        passWithNoTests: false
      }
    }),
    overrides
  )
