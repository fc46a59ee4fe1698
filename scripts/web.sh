#!/usr/bin/env bash
# Builds the dashboard (web/) into site/dist/app, where the den binary embeds
# it from. Installs the npm packages first when they are missing or older
# than package-lock.json. `scripts/web.sh test` runs its component tests too.
set -euo pipefail
cd "$(dirname "$0")/../web"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "web: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ "${1:-}" = test ]; then
  npm test
fi
npm run build --silent
