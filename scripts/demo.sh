#!/usr/bin/env bash
# One command: set up, then start the example host app with its embedded database and
# the local provider and gateway servers. Prints the URL and the logins.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m examples.app
