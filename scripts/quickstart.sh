#!/usr/bin/env bash
# Install portalctl into ./.venv and take the narrated tour on a throwaway embedded portal.
# Needs only Python 3.11+ and access to PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "portalctl needs Python 3.11 or newer")'
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
.venv/bin/portalctl demo
echo
echo "portalctl is installed in $(pwd)/.venv/bin — add it to PATH, or run: .venv/bin/portalctl --help"
