#!/usr/bin/env bash
# Install the front-end packages (MapLibre GL, ECharts, Swagger UI, ReDoc, idb, Workbox) from npm into the static folder.
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
# the API documentation pages (Swagger UI and ReDoc), served offline like the maps
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css "$dest/"
# ReDoc's sidebar credit shows a logo from its CDN: point it at pingan's own icon (offline, CSP)
sed 's#https://cdn.redoc.ly/redoc/logo-mini.svg#/static/img/shield.svg#' \
  node_modules/redoc/bundles/redoc.standalone.js > "$dest/redoc.standalone.js"
if grep -q 'https://cdn' "$dest/redoc.standalone.js"; then
  echo "redoc.standalone.js still names a CDN: check scripts/install_frontend.sh" >&2
  exit 1
fi
# the field app (/m/): IndexedDB (idb) and the service worker's Workbox modules, served locally
cp node_modules/idb/build/umd.js "$dest/idb.js"
mkdir -p "$dest/workbox"
for m in core routing strategies cacheable-response expiration precaching; do
  cp "node_modules/workbox-$m/build/workbox-$m.prod.js" "$dest/workbox/"
done
echo "front-end packages installed in $dest"
