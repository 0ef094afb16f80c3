#!/usr/bin/env bash
# CI: the @glassbox/* packages as a user gets them. Packs every package (publint and
# @arethetypeswrong/cli on each tarball), installs the tarballs, not workspace links, into a
# temporary copy of examples/existing-service, and runs that project's tests there: glassbox's
# routes and dashboard under /glassbox (Chromium), the library-level ensemble, explanations, drift
# on the host's MeterProvider, the host's plugin, and `npx glassbox predict` with no --model.
# Third-party dependencies come from the npm registry (or npm's cache). Needs `npm run build`.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
started=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/tmp}/glassbox-existing-service-XXXXXX")"
trap 'rm -rf "$work"' EXIT

node --test "$root"/tools/packages/*.test.mjs
node "$root/tools/packages/pack.mjs" --out "$work/tarballs" --check
mkdir "$work/service"
tar -C "$root/examples/existing-service" --exclude=node_modules --exclude=package-lock.json -cf - . | tar -C "$work/service" -xf -
cd "$work/service"
# --ignore-scripts: better-sqlite3 (@glassbox/monitor's optional state-database driver) has no
# prebuilt binary to download here and would compile SQLite from source for minutes; the example
# keeps its state in memory, and onnxruntime-node's script only fetches CUDA (onnxruntime-node runs
# on its bundled CPU provider).
npm install --no-audit --no-fund --prefer-offline --ignore-scripts "$work"/tarballs/*.tgz
# No workspace links: every @glassbox/* package is a real folder unpacked from its tarball.
for dir in node_modules/@glassbox/*; do
  if [ -L "$dir" ]; then echo "$dir is a link, not an installed tarball" >&2; exit 1; fi
done
SECOND_MODEL_DIR="$root/models/emotion-mini-b" npm test
echo "existing-service check passed in $(( $(date +%s) - started )) s"
