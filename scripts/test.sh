#!/usr/bin/env bash
# One command: set up, then lint (ruff), check the layers (import-linter) and the types
# (mypy), and run the whole test suite (browser tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-chromium.sh
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache
.venv/bin/mypy
.venv/bin/python -m pytest -p no:cacheprovider "$@"
