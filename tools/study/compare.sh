#!/usr/bin/env bash
# Compares the results of two study folders byte for byte: the check that a change of code left a study's numbers
# alone (docs/study-design.md, "Reproducibility"). Usage:
#   tools/study/compare.sh <before study folder> <after study folder>
#
# Every file of BEFORE's tables/ and runs/ is compared with the file of the same path in AFTER, after undoing the
# committed form's compression: X.csv and X.csv.gz are the same file when their contents are equal (the committed
# reference gzips its per-run CSVs, a fresh run writes them plain). Packed runs (runs.tar.br) are not read: unpack
# both folders first (`pneuknow unpack`).
#
# Compared with two allowances, both in run records (run.json, config.json, result.json):
# - the lines that hold a path (raw_data_dir, roi_data_dir, metadata_file, teacher_run) and the run key may differ: a
#   study folder stores paths relative to itself, and the key hashes the absolute paths (docs/run-identity.md), so
#   two folders in different places differ there;
# - in result.json the per-epoch measurements of the machine (train_seconds, valid_seconds, train_images_per_second,
#   resident_bytes, precise_batch_norm_seconds, machine) may differ: they are clock readings, not results.
# Nothing else may differ.
#
# Not compared: timings.csv (wall-clock seconds and the machine's name), checkpoints (*.pt, checkpoint/), figures/ and
# notebooks/ (drawn from the tables), README.md, and study.json (the code version and the machine are its purpose);
# study.json's lines other than code_version and machine are shown when they differ.
#
# Exit 0 when every compared file is identical and none is missing, 1 otherwise, 2 on wrong usage.
set -euo pipefail
usage="usage: $0 <before study folder> <after study folder>"
[ $# -eq 2 ] || { echo "$usage" >&2; exit 2; }
before="${1%/}"; after="${2%/}"
for d in "$before" "$after"; do
  [ -d "$d/runs" ] || { echo "$0: expected a study folder with runs/, found no $d/runs" >&2; exit 2; }
done

# The contents of a file in either form, decompressed.
contents() { case "$1" in *.gz) gzip -dc -- "$1" ;; *) cat -- "$1" ;; esac; }
# The file in FOLDER standing for RELATIVE (a path without .gz), in either form, or nothing.
counterpart() {
  if [ -f "$1/$2" ]; then echo "$1/$2"; elif [ -f "$1/$2.gz" ]; then echo "$1/$2.gz"; fi
}
# The lines that may differ in a run record: paths and the key, and the clock readings of result.json (above).
allowed='^[[:space:]]*"(raw_data_dir|roi_data_dir|metadata_file|teacher_run|key|train_seconds|valid_seconds|train_images_per_second|resident_bytes|precise_batch_norm_seconds|machine)":'

identical=0; moved=0; differ=0; missing=0
while IFS= read -r -d '' file; do
  rel="${file#"$before"/}"; rel="${rel%.gz}"
  case "$rel" in
    */timings.csv|*.pt|*/checkpoint/*|*/runs.tar.br) continue ;;
  esac
  other="$(counterpart "$after" "$rel")"
  if [ -z "$other" ]; then echo "missing in $after: $rel"; missing=$((missing + 1)); continue; fi
  if cmp -s <(contents "$file") <(contents "$other"); then identical=$((identical + 1)); continue; fi
  case "$rel" in
    */run.json|*/config.json|*/result.json)
      if cmp -s <(contents "$file" | grep -Ev "$allowed") <(contents "$other" | grep -Ev "$allowed"); then
        moved=$((moved + 1)); continue
      fi ;;
  esac
  echo "differs: $rel"
  { diff <(contents "$file") <(contents "$other") || true; } | head -6 | sed 's/^/    /'
  differ=$((differ + 1))
done < <(find "$before/runs" "$before/tables" -type f -print0 2>/dev/null | sort -z)

if [ -f "$before/study.json" ] && [ -f "$after/study.json" ]; then
  stamp='^[[:space:]]*"(code_version|machine)":'
  if ! cmp -s <(grep -Ev "$stamp" "$before/study.json") <(grep -Ev "$stamp" "$after/study.json"); then
    echo "study.json differs beyond code_version and machine:"
    { diff <(grep -Ev "$stamp" "$before/study.json") <(grep -Ev "$stamp" "$after/study.json") || true; } | head -10 | sed 's/^/    /'
    differ=$((differ + 1))
  fi
fi

echo "$identical identical, $moved identical but for paths, key and clock readings, $differ differ, $missing missing" \
  "($before → $after)"
[ $differ -eq 0 ] && [ $missing -eq 0 ]
