#!/usr/bin/env bash
# Install what the tests need into ./.venv, then lint (ruff), type-check (mypy) and run the whole suite.
# Used by .ci/run; works from a fresh clone with only Python 3.11+, PyPI and (for PostgreSQL) Debian's packages.
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
# Real parts the tests drive, from Debian's packages, installed when missing (and we are root with apt-get):
# tmux for terminal behaviour (escapes, width, pager, editor, Ctrl-C), zsh and fish for shell completion as those
# shells run it, nginx for the two-host layout (examples/nginx), GNU gettext's msgfmt for the catalog reader.
# Without them those tests skip (the nginx test fails under CI=true instead).
debian_tool() {  # debian_tool PACKAGE COMMAND...: install PACKAGE unless one of the commands is there
  local package=$1; shift
  for found in "$@"; do command -v "$found" >/dev/null && return 0; done
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "installing Debian's $package" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >&2
  else
    echo "$package is not installed (apt-get install $package): its tests will be skipped" >&2
  fi
}
echo "== tmux, zsh, fish"
debian_tool tmux tmux
debian_tool zsh zsh
debian_tool fish fish
echo "== nginx"
debian_tool nginx nginx /usr/sbin/nginx
echo "== gettext"  # GNU msgfmt: tests/test_mofile.py holds portalctl's .mo reader against a catalog it compiles
debian_tool gettext msgfmt
echo "== postgresql"
# The server's tests run on SQLite and on PostgreSQL: use PORTALCTL_TEST_POSTGRES (an admin URL) when it is set,
# else start a throwaway cluster (installing Debian's postgresql when it is missing) and stop it on exit.
cleanup=()  # commands run on exit, whatever happens
trap 'for step in "${cleanup[@]}"; do eval "$step"; done' EXIT
if [[ -z ${PORTALCTL_TEST_POSTGRES:-} ]]; then
  pgdir=$(mktemp -d /tmp/portalctl-pg.XXXXXX)
  cleanup+=('bash scripts/postgres.sh stop "$pgdir"; rm -rf "$pgdir"')
  PORTALCTL_TEST_POSTGRES=$(bash scripts/postgres.sh start "$pgdir")
  export PORTALCTL_TEST_POSTGRES
fi
echo "PostgreSQL for the tests: $PORTALCTL_TEST_POSTGRES"
echo "== request tracker"
# The RT connector's tests run on a real Request Tracker 5 (Debian's request-tracker5, installed when missing):
# one instance for the run, on SQLite, named to the tests by PORTALCTL_TEST_RT_URL, _TOKEN and _DIR.
if [[ -z ${PORTALCTL_TEST_RT_URL:-} ]]; then
  rtdir=$(mktemp -d /tmp/portalctl-rt.XXXXXX)
  cleanup+=('bash scripts/rt.sh stop "$rtdir"; rm -rf "$rtdir"')
  SECONDS=0
  rt_env=$(bash scripts/rt.sh start "$rtdir")
  PORTALCTL_TEST_RT_URL=$(sed -n 's/^RT_URL=//p' <<<"$rt_env")
  PORTALCTL_TEST_RT_TOKEN=$(sed -n 's/^RT_TOKEN=//p' <<<"$rt_env")
  PORTALCTL_TEST_RT_DIR=$rtdir
  export PORTALCTL_TEST_RT_URL PORTALCTL_TEST_RT_TOKEN PORTALCTL_TEST_RT_DIR
  echo "Request Tracker for the tests: $PORTALCTL_TEST_RT_URL (ready in ${SECONDS} s)"
fi
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
