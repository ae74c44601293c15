#!/usr/bin/env bash
# The operator page's browser test (tests/browser/) drives Debian's Chromium
# with playwright-core. Install it when it is missing and we can (root with
# apt-get, as on the build machines); otherwise say how, and let the browser
# test fail with the same advice. Silent when Chromium is already there.
set -uo pipefail

[ -x /usr/bin/chromium ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser test (once)..." >&2
  mkdir -p .tmp
  if { apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >.tmp/apt.log 2>&1; then
    exit 0
  fi
  tail -20 .tmp/apt.log >&2
  echo "Installing chromium failed; the browser test will fail." >&2
  exit 1
fi

echo "Chromium is missing: install it (Debian: apt-get install -y chromium) to run the browser test." >&2
exit 0
