#!/usr/bin/env bash
# Publishing check: every published package packs (with its publishConfig), passes publint and
# @arethetypeswrong/cli, and the packed CLI with its packed dependencies installs with plain npm
# into an empty folder, answers `anysource --version` and runs the quickstart offline; the packed emulator
# finds its OpenAPI spec and validates against it (check-packed-emulator.mjs).
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
app=$(mktemp -d)
trap 'rm -rf "$out" "$app"' EXIT
cd "$app"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$out"/*.tgz >/dev/null
cp "$root/scripts/check-packed-emulator.mjs" .
node check-packed-emulator.mjs
version=$(npx --no-install anysource --version)
echo "packed CLI installed with npm: anysource --version → $version"
cp -r "$root/examples/quickstart" quickstart
rm -rf quickstart/.anysource
npx --no-install anysource apply --yes --config quickstart/anysource.yaml --report quickstart/report.json >/dev/null
node -e 'const r = JSON.parse(require("fs").readFileSync("quickstart/report.json","utf8")); if (r.outcome !== "applied") { console.error("packed CLI quickstart outcome: " + r.outcome); process.exit(1) } console.log("packed CLI quickstart ok: " + r.summary.users.create + " users created")'
