#!/usr/bin/env bash
# Install the front-end packages (MapLibre GL, ECharts) from npm into the static folder.
# pingan serves them itself: no page loads anything from a CDN.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=src/pingan/web/static/vendor
mkdir -p "$dest"
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: install Node.js (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
cp node_modules/maplibre-gl/dist/maplibre-gl.js node_modules/maplibre-gl/dist/maplibre-gl.css "$dest/"
cp node_modules/echarts/dist/echarts.min.js "$dest/"
echo "front-end packages installed in $dest"
