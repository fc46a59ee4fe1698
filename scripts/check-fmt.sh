#!/usr/bin/env bash
# Fails when a tracked Go file is not gofmt-formatted.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(git ls-files '*.go' | xargs -r gofmt -l)
if [ -n "$bad" ]; then
  echo "these files need gofmt (run make fmt):" >&2
  echo "$bad" >&2
  exit 1
fi
