#!/usr/bin/env bash
# The whole suite: type check, lint, then vitest (unit, conformance, property and type tests).
# Tests that need system packages (etcd, iproute2) get them here when this machine allows it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-system-deps.sh

npx tsc -p tsconfig.json --noEmit
npx biome check src test examples bench
npx vitest run "$@"
