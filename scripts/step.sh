#!/bin/sh
# One step of `make run` / `make install`: print "[n/N] Title …", run the command with its output in
# a log file, and on failure show the end of that log (and where the whole log is).
#   scripts/step.sh [--show] "[2/8] Python-Pakete installieren" .venv/pip-install.log CMD ARGS…
# --show keeps the command's standard output on the terminal (its messages to the user) and sends
# only standard error (log lines, warnings) to the file.
set -u
show=0
if [ "${1:-}" = "--show" ]; then show=1; shift; fi
title=$1
log=$2
shift 2
printf '%s …\n' "$title"
mkdir -p "$(dirname "$log")"
status=0
if [ "$show" = 1 ]; then
  "$@" 2>"$log" || status=$?
else
  "$@" >"$log" 2>&1 || status=$?
fi
if [ "$status" != 0 ]; then
  echo ""
  echo "  Fehlgeschlagen: $title (Exit-Code $status). Die letzten Zeilen aus $log:"
  echo ""
  tail -n 40 "$log" | sed 's/^/    /'
  echo ""
  echo "  Vollständiges Protokoll: $log"
  exit "$status"
fi
