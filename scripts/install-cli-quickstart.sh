#!/usr/bin/env bash
# Installs @anysource/cli with plain npm into an empty folder, checks `anysource --version` and runs the bundled
# quickstart offline with the installed binary (embedded emulator; the report must say "applied").
#
#   bash scripts/install-cli-quickstart.sh <what to npm install…>
#
# e.g. the packed tarballs (scripts/check-packages.sh) or `@anysource/cli --@anysource:registry=<url>` (the local
# registry test in packages/release-check).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ "$#" -gt 0 ] || { echo "usage: install-cli-quickstart.sh <npm install arguments…>" >&2; exit 2; }
# better-sqlite3 would first try to download a prebuilt binary, which cannot be reached from the project's
# machines (it falls back to compiling after a long timeout): compile at once.
export npm_config_build_from_source="${npm_config_build_from_source:-true}"
app=$(mktemp -d)
trap 'rm -rf "$app"' EXIT
cd "$app"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$@" >/dev/null
if [ "${CHECK_PACKED_EMULATOR:-0}" = 1 ]; then
  # the installed @anysource/okta-emulator finds its shipped spec and runs strict from its dist/
  cp "$root/scripts/check-packed-emulator.mjs" .
  node check-packed-emulator.mjs
fi
version=$(npx --no-install anysource --version)
echo "CLI installed with npm: anysource --version → $version"
cp -r "$root/examples/quickstart" quickstart
rm -rf quickstart/.anysource
# as the quickstart does: declare the sample's attributes on the (embedded) identity source first
npx --no-install anysource setup apply --yes --config quickstart/anysource.yaml >/dev/null 2>setup.log || { cat setup.log >&2; exit 1; }
npx --no-install anysource apply --yes --config quickstart/anysource.yaml --report quickstart/report.json >/dev/null
node -e 'const r = JSON.parse(require("fs").readFileSync("quickstart/report.json","utf8")); if (r.outcome !== "applied") { console.error("installed CLI quickstart outcome: " + r.outcome); process.exit(1) } console.log("installed CLI quickstart ok: " + r.summary.users.create + " users created")'
