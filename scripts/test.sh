#!/usr/bin/env bash
# Install what the tests need into ./.venv, then lint (ruff), type-check (mypy) and run the whole suite.
# Used by .ci/run; works from a fresh clone with only Python 3.11+ and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

echo "== ruff"
.venv/bin/ruff check cli tests scripts
echo "== mypy"
.venv/bin/mypy cli/portalctl
echo "== pytest"
# -n 2: the CI machine has two cores. pytest exits 5 when it collected no tests: that is a failure here.
set +e
.venv/bin/pytest -n 2 -q "$@"
status=$?
set -e
if [[ $status -eq 5 ]]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit $status
