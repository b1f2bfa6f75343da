#!/usr/bin/env bash
# The publish step of .github/workflows/release.yml (changesets/action runs it once the version PR is merged):
# builds, publishes every public package whose version is not on the registry yet with `pnpm -r publish` (private
# packages and versions already published are skipped), then tags the released versions with `changeset tag`,
# whose "New tag:" lines tell changesets/action which GitHub releases to create.
#
# NPM_CONFIG_PROVENANCE=true (set by the workflow) adds --provenance: pnpm 12 does not read npm_config_* variables
# for publish settings, so it is passed as a flag.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
pnpm exec turbo run build --output-logs=errors-only
provenance=()
[ "${NPM_CONFIG_PROVENANCE:-}" = "true" ] && provenance=(--provenance)
pnpm -r publish --access public --no-git-checks "${provenance[@]}"
pnpm exec changeset tag
