#!/usr/bin/env bash
# The whole suite: type check, lint, package checks, then vitest (unit, conformance, property and
# type tests).
# Tests that need system packages (etcd, iproute2) get them here when this machine allows it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-system-deps.sh

npx tsc -p tsconfig.json --noEmit
npx biome check src test examples bench
# The package as users get it: build, publint, attw, knip (unused files and exports), madge (cycles).
npm run --silent lint:package

mkdir -p .tmp
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest-results.json "$@" || status=$?

# One plain closing line with the counts, for people and for CI logs.
if [ -f .tmp/vitest-results.json ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(".tmp/vitest-results.json", "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  '
fi
exit "$status"
