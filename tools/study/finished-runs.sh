#!/usr/bin/env bash
# Lists the files of a study's finished runs that can be committed, so that another clone continues the study
# (docs/study-design.md, "Running the study in pieces"). Usage:
#   tools/study/finished-runs.sh [--gzip | --pack] results/reference/study | xargs git add
#   git add -u results/reference/study/runs     # after --pack: the packed runs' files, gone from their folders
#
# A run is finished when its folder holds result.json. Checkpoints (*.pt, checkpoint/) are never listed: 45 MB each, and
# nothing reads them once a main-arm run's decision-region scores are in its folder (decision_regions.json). A teacher
# is listed only when its student of the same k has finished too, because a student still to be trained needs the
# teacher's best.pt. Unit-level files (config.json, *_metrics.csv, summaries) are listed with the unit.
#
# --gzip first compresses, in each run it lists, every *.csv but log.csv and timings.csv (a few hundred bytes each, and
# what a person reads to follow a run) to X.csv.gz, and lists that instead: the committed study has a size budget, and
# its predictions and scores are most of it. The engine reads either form (Csv.Locate in lib/PneuKnow/Data/Csv.cs) and
# refuses a run holding both. The output is deterministic (gzip -n: no name, no time stamp), so compressing the same
# file again gives the same bytes; it is written under a temporary name and renamed over X.csv.gz, and only then is
# X.csv removed, so a killed call leaves at worst both forms (refused by readers, naming both; running this again
# compresses X.csv anew and removes it), never neither.
#
# --pack packs the finished runs of every unit into runs/<unit>/runs.tar.br (`pneuknow pack`, docs/study-design.md,
# "Committed runs are packed": a Brotli-compressed tar that compresses across runs and has no per-run folders; every reader
# of the engine reads a packed run as it reads a folder) and lists the packs with the unit files. The packed runs' files
# are removed from their folders (checkpoints stay), so stage those removals with `git add -u`. It runs
# $PNEUKNOW (default: dotnet run of lib/PneuKnow.Cli, Release) and needs the study's lock (not while the study trains).
set -euo pipefail
usage="usage: $0 [--gzip | --pack] <study folder>"
gzip_runs=0
pack_runs=0
if [ "${1:-}" = --gzip ]; then gzip_runs=1; shift; elif [ "${1:-}" = --pack ]; then pack_runs=1; shift; fi
study="${1:?$usage}"
[ $# -eq 1 ] || { echo "$usage" >&2; exit 2; }
runs="$study/runs"
[ -d "$runs" ] || { echo "$0: expected a study folder with runs/, found no $runs" >&2; exit 1; }

# Every check first, so that a refusal compresses nothing.
listed=()
for run in "$runs"/*/*/run_*; do
  [ -f "$run/result.json" ] || continue
  role="$(basename "$(dirname "$run")")"
  unit="$(dirname "$(dirname "$run")")"
  k="$(basename "$run")"
  if [ "$role" = teacher ] && [ ! -f "$unit/student/$k/result.json" ]; then continue; fi
  # A main-arm run (the *_do_* units) must carry its scores, or a clone without its best.pt cannot write the tables.
  case "$(basename "$unit")" in
    *_do_*) [ -f "$run/decision_regions.json" ] || { echo "$0: $run: finished but not scored (no decision_regions.json); run the study again here to score it" >&2; exit 1; } ;;
  esac
  listed+=("$run")
done

if [ "$pack_runs" = 1 ]; then
  root="$(cd "$(dirname "$0")/../.." && pwd)"
  # shellcheck disable=SC2086 # PNEUKNOW may be a command with arguments.
  ${PNEUKNOW:-dotnet run --project "$root/lib/PneuKnow.Cli" -c Release --} pack "$study" >&2
  # Every run listed above is in its unit's pack now; the unit loop below lists the packs.
  listed=()
fi

tmp=""
trap '[ -z "$tmp" ] || rm -f "$tmp"' EXIT
if [ "$gzip_runs" = 1 ]; then
  for run in ${listed[@]+"${listed[@]}"}; do
    while IFS= read -r -d '' csv; do
      # The temporary name matches the listing's exclusion (*.tmp-*), so a killed call's leftover is never committed.
      tmp="$(dirname "$csv")/.$(basename "$csv").gz.tmp-$$"
      gzip -n -9 -c "$csv" >"$tmp"
      mv -f "$tmp" "$csv.gz"
      tmp=""
      rm -f "$csv"
    done < <(find "$run" -maxdepth 1 -type f -name '*.csv' ! -name log.csv ! -name timings.csv -print0)
  done
fi

for run in ${listed[@]+"${listed[@]}"}; do
  find "$run" -maxdepth 1 -type f ! -name '*.pt' ! -name '*.tmp-*' | sort
done
for unit in "$runs"/*/; do
  find "$unit" -type f ! -path '*/run_*' ! -name '*.pt' ! -name '*.tmp-*' | sort
done
