import { appConfig } from "@anysource/eslint-config"

export default [
  ...appConfig,
  {
    // src/Env.ts is the one module that reads the environment; main.ts is the only place with process signals
    files: ["src/**/*.ts"],
    ignores: ["src/Env.ts"],
    rules: {
      "no-console": "error",
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "Read the environment in src/Env.ts and pass values in." }]
    }
  }
]
