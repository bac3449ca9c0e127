#!/usr/bin/env bash
# What the browser tests (tests/browser) need beyond .venv: Debian's Chromium at
# /usr/bin/chromium (Playwright drives it by executable_path; no browser download).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "browser-deps: installing Debian's chromium" >&2
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
  else
    echo "browser-deps: please install Chromium at /usr/bin/chromium" >&2; exit 1
  fi
fi
