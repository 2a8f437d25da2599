#!/usr/bin/env bash
# System packages pip cannot provide: Debian's Chromium and its WebDriver, for the
# staff console's browser test (tests/e2e/test_console_browser.py).
#
# Installs them only when they are missing, and only as root (apt-get). Otherwise it
# says what is missing and carries on: the browser test then skips with that reason,
# except under CI=true, where it fails.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)  # npm ci for the web widget
# Chinese glyphs in the browser tests' screenshots (else empty boxes).
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-system: missing ${missing[*]}: the browser test will be skipped." >&2
  echo "setup-system: to install (as root): apt-get update && apt-get install -y chromium chromium-driver" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: missing ${missing[*]} and no apt-get here; install Chromium and chromedriver yourself." >&2
  exit 0
fi
echo "setup-system: installing ${missing[*]} (Debian packages, for the browser test)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
echo "setup-system: $(/usr/bin/chromium --version 2>/dev/null | head -1); $(/usr/bin/chromedriver --version | head -1)"
