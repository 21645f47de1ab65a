#!/usr/bin/env bash
# Nightly export of the tickets that changed since the last successful run: an Excel report for people
# (Tickets, Comments and Summary sheets with charts) and a CSV for scripts, both stamped with the run's time.
#
# Each format keeps its own state file, so each file series is complete on its own; a failed run leaves the
# state where it was, and the next run picks up everything since the last success (a repeat, never a gap).
# Messages go to stderr (cron mails them, journald keeps them); nothing is printed on stdout.
#
# Settings (environment):
#   PORTALCTL          the portalctl command            (default: portalctl on PATH)
#   PORTALCTL_PROFILE  the profile to export through    (default: the current profile)
#   EXPORT_DIR         where the files go                (default: ~/portal-exports)
#   STATE_DIR          where the state files live        (default: ${XDG_STATE_HOME:-~/.local/state}/portalctl)
#   KEEP_DAYS          delete exports older than this    (default: 90; 0 keeps everything)
#   EXPORT_ARGS        extra export options, e.g. "--department soporte-web"
set -euo pipefail

PORTALCTL=${PORTALCTL:-portalctl}
EXPORT_DIR=${EXPORT_DIR:-$HOME/portal-exports}
STATE_DIR=${STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/portalctl}
KEEP_DAYS=${KEEP_DAYS:-90}
read -r -a extra <<< "${EXPORT_ARGS:-}"

log() { printf '%s nightly-export: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
trap 'status=$?; log "failed (exit $status); earlier exports and the state files are untouched"; exit $status' ERR

mkdir -p "$EXPORT_DIR" "$STATE_DIR"

# One run at a time: a slow export must not overlap tomorrow's.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$STATE_DIR/nightly-export.lock"
    if ! flock -n 9; then
        log "another run is still going; skipping this one"
        exit 0
    fi
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
log "exporting tickets changed since the last successful run into $EXPORT_DIR"

"$PORTALCTL" --no-input export tickets --include-comments ${extra[@]+"${extra[@]}"} \
    -o "$EXPORT_DIR/tickets-$stamp.xlsx" --incremental "$STATE_DIR/nightly-xlsx.json"

"$PORTALCTL" --no-input export tickets ${extra[@]+"${extra[@]}"} \
    -o "$EXPORT_DIR/tickets-$stamp.csv" --incremental "$STATE_DIR/nightly-csv.json"

if [[ "$KEEP_DAYS" != 0 ]]; then
    find "$EXPORT_DIR" -maxdepth 1 -type f -name 'tickets-*' -mtime "+$KEEP_DAYS" -print -delete |
        while read -r old; do log "removed $old (older than $KEEP_DAYS days)"; done
fi

log "done"
