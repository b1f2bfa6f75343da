// Shared ESLint flat config. Packages: no console, no process.env (apps read env in one config module).
import js from "@eslint/js"
import prettier from "eslint-config-prettier"
import tseslint from "typescript-eslint"

const base = [
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "*.config.*", "test-results.json"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-empty-object-type": "off"
    }
  }
]

/** Config for library packages under packages/. */
export const packageConfig = [
  ...base,
  {
    files: ["src/**/*.ts"],
    rules: {
      "no-console": "error",
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read env in the app's config module and pass values in." }]
    }
  }
]

/** Config for apps (they may read env and write to the console in their entry/config modules). */
export const appConfig = base
