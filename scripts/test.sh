#!/usr/bin/env bash
# Install what the tests need (Debian packages and pip packages) and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk fonts-noto-color-emoji)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

source scripts/python-env.sh
python3 -m pip install -q --disable-pip-version-check -r requirements-dev.txt
python3 -m pytest "$@"
