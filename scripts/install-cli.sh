#!/usr/bin/env bash
# Puts the den binary on PATH so `den login ...` works in another terminal:
# /usr/local/bin when writable, else ~/.local/bin.
set -euo pipefail
src=${1:-bin/den}
if [ -w /usr/local/bin ]; then
  dest=/usr/local/bin
else
  dest="$HOME/.local/bin"
  mkdir -p "$dest"
fi
install -m 0755 "$src" "$dest/den.new"
mv -f "$dest/den.new" "$dest/den"
echo "installed den into $dest"
case ":$PATH:" in
  *":$dest:"*) ;;
  *) echo "note: $dest is not on your PATH; add it, or run $(realpath "$src") directly" ;;
esac
