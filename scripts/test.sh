#!/usr/bin/env bash
# One command: set up, then run ruff and the whole test suite (browser tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-chromium.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest -p no:cacheprovider "$@"
