#!/usr/bin/env bash
# Builds the CLI and syncs the bundled sample HR export (examples/quickstart/people.csv) into the
# embedded local Okta emulator. Run it twice: the second run finds nothing to change.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
pnpm exec turbo run build --filter=@anysource/cli... --output-logs=errors-only
node apps/cli/dist/bin.js apply --yes \
  --config examples/quickstart/anysource.yaml \
  --report examples/quickstart/.anysource/report.json \
  --report examples/quickstart/.anysource/report.html
