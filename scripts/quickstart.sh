#!/usr/bin/env bash
# Builds the CLI and syncs the bundled sample HR export (examples/quickstart/people.csv) into the
# embedded local Okta emulator. Run it twice: the second run finds nothing to change.
#
# The embedded identity source starts the way a new Custom Identity Source does in a real org: base
# attributes only. `setup apply` first declares the quickstart's custom attributes (title, department,
# managerId, city) and maps them onto the Okta user, as you would before the first sync against your org
# (examples/quickstart/README.md, docs/okta-setup.md); on the second run it finds nothing to change.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
pnpm exec turbo run build --filter=@anysource/cli... --output-logs=errors-only
node apps/cli/dist/bin.js setup apply --yes --config examples/quickstart/anysource.yaml
node apps/cli/dist/bin.js apply --yes \
  --config examples/quickstart/anysource.yaml \
  --report examples/quickstart/.anysource/report.json \
  --report examples/quickstart/.anysource/report.html
