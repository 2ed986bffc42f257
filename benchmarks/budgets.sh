#!/usr/bin/env bash
# Measure the two budgets the README states, on this machine, and print a table:
#   make test   from a fresh clone, set-up included (venv, pinned tool chain, torch, data, assets)
#               budget: 15 min on 2 cores
#   make book   in that clone, dependencies now installed (data check, every chapter, site)
#               budget: 10 min on 2 cores
# Usage: benchmarks/budgets.sh [--worktree] [--keep]
#   --worktree  measure the working tree (tracked + untracked, not ignored) instead of HEAD
#   --keep      keep the scratch clone (printed at the end)
# The clone lives in a temporary folder; nothing in this repository is touched.
set -euo pipefail

src=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
mode=head keep=0
for arg in "$@"; do
  case $arg in
    --worktree) mode=worktree ;;
    --keep) keep=1 ;;
    *) echo "unknown option $arg; accepted: --worktree --keep" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/gsbook-budgets.XXXXXX")
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
repo=$work/repo
if [ "$mode" = head ]; then
  git clone -q "$src" "$repo"
else
  mkdir -p "$repo"
  (cd "$src" && git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
     [ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf -) | tar -xf - -C "$repo"
  git -C "$repo" init -q
fi

declare -A seconds status
run() {  # run NAME TARGET: time `make TARGET` in the clone, log to $work/NAME.log
  local name=$1 target=$2 start end rc=0
  echo "== make $target ($name), log: $work/$name.log" >&2
  start=$(date +%s.%N)
  make -C "$repo" "$target" >"$work/$name.log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  seconds[$name]=$(awk "BEGIN {print $end - $start}")
  status[$name]=$rc
  [ "$rc" = 0 ] || { echo "   make $target failed ($rc); last lines:" >&2; tail -20 "$work/$name.log" >&2; }
}
fmt() { printf '%dm %02ds' "$(( ${1%.*} / 60 ))" "$(( ${1%.*} % 60 ))"; }

run test test
run book book

cores=$(nproc)
echo
echo "Measured $(date -u +%Y-%m-%d) on $cores cores, $(free -g | awk '/Mem:/ {print $2}') GiB ($mode: $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo 'no commit'))"
echo
echo "| Command | What it includes | Wall time | Budget | Exit |"
echo "|---|---|---|---|---|"
echo "| \`make test\` | fresh clone: venv, pinned deps + torch, data, site scripts, tests, nbval, site, browser | $(fmt "${seconds[test]}") | 15 min | ${status[test]} |"
echo "| \`make book\` | deps installed: data check, every chapter with papermill, site | $(fmt "${seconds[book]}") | 10 min | ${status[book]} |"
echo
echo "Per chapter (make book):"
grep -E '^   chapters/.*: [0-9]+ s$' "$work/book.log" | sed 's/^   /  /' || true
echo "pytest summaries (make test):"
grep -E '[0-9]+ (passed|failed).* in [0-9.]+s' "$work/test.log" | grep -v echo | sed 's/^/  /' || true
if [ "$keep" = 1 ]; then echo "clone and logs kept in $work"; fi
exit $(( status[test] || status[book] ))
