#!/usr/bin/env bash
# Install what the app needs and run it on http://127.0.0.1:8501 (Debian, Python 3.11, as root or in a venv).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/python-env.sh
python3 -m pip install -q --disable-pip-version-check -r requirements.txt
exec python3 -m streamlit run app.py "$@"
