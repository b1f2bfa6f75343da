#!/usr/bin/env bash
# Publishing check: every published package packs (with its publishConfig), passes publint and
# @arethetypeswrong/cli, and the packed CLI with its packed dependencies installs with plain npm
# into an empty folder, answers `anysource --version` and runs the quickstart offline
# (scripts/install-cli-quickstart.sh, which packages/release-check also runs against a local registry); there the
# packed emulator also finds its OpenAPI spec and validates against it (check-packed-emulator.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export TURBO_TELEMETRY_DISABLED=1
pnpm exec turbo run build --output-logs=errors-only
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mapfile -t pkgs < <(node -e '
  const fs = require("fs"), path = require("path")
  for (const g of ["packages", "apps"]) for (const d of fs.readdirSync(g)) {
    const f = path.join(g, d, "package.json"); if (!fs.existsSync(f)) continue
    const p = JSON.parse(fs.readFileSync(f, "utf8")); if (!p.private) console.log(path.join(g, d))
  }')
for dir in "${pkgs[@]}"; do
  (cd "$dir" && pnpm pack --pack-destination "$out" >/dev/null)
done
for tgz in "$out"/*.tgz; do
  name=$(basename "$tgz")
  pnpm exec publint run "$tgz" --strict >"$out/publint.log" 2>&1 || { cat "$out/publint.log"; echo "publint failed: $name" >&2; exit 1; }
  pnpm exec attw "$tgz" --profile esm-only --format table-flipped >"$out/attw.log" 2>&1 || { cat "$out/attw.log"; echo "attw failed: $name" >&2; exit 1; }
  echo "publint + attw ok: $name"
done
CHECK_PACKED_EMULATOR=1 bash "$root/scripts/install-cli-quickstart.sh" "$out"/*.tgz
