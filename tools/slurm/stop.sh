#!/usr/bin/env bash
# Stops what tools/slurm/start.sh DIR started (slurmd, slurmctld, munged), by the pids they wrote
# into DIR, and waits until they are gone. Leaves DIR (logs, job records) in place.
set -uo pipefail
if [ $# -ne 1 ]; then echo "usage: $0 DIR" >&2; exit 2; fi
DIR=$1
for pidfile in "$DIR/d/slurmd.pid" "$DIR/ctld/slurmctld.pid" "$DIR/munge/munged.pid"; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null; fi
done
exit 0
