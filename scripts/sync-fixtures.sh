#!/usr/bin/env bash
# Keeps test/fixtures/ in step with the shared folder beside the project (../shared):
#   ../shared/corpus/            -> test/fixtures/corpus/
#   ../shared/cases/README.md    -> test/fixtures/cases/README.md
#   ../shared/cases/fidelity/*/  -> test/fixtures/cases/*/
#
#   scripts/sync-fixtures.sh          report the differences, then copy the shared files over the fixtures
#                                     (files only in test/fixtures are reported, never deleted)
#   scripts/sync-fixtures.sh --check  report the differences only; exit 1 when there are any
#
# SHARED_DIR overrides where the shared folder is. Without it the script says so and exits 0:
# a clone on its own has only the fixtures, which is all the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

check_only=false
case "${1:-}" in
  --check) check_only=true ;;
  '') ;;
  *)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac

shared="${SHARED_DIR:-../shared}"
if [ ! -d "$shared/corpus" ] || [ ! -d "$shared/cases/fidelity" ]; then
  echo "sync-fixtures: no shared folder at $shared (set SHARED_DIR); test/fixtures left as it is"
  exit 0
fi

fixtures=test/fixtures
# source -> destination pairs
pairs=("$shared/corpus" "$fixtures/corpus" "$shared/cases/README.md" "$fixtures/cases/README.md")
for dir in "$shared"/cases/fidelity/*/; do
  name="$(basename "$dir")"
  pairs+=("${dir%/}" "$fixtures/cases/$name")
done

differences=0
report() {
  local src="$1" dst="$2"
  if [ ! -e "$dst" ]; then
    echo "only in $shared: ${src#"$shared"/}"
    differences=1
  elif [ -d "$src" ]; then
    local out
    out="$(diff -rq "$src" "$dst" || true)"
    if [ -n "$out" ]; then
      printf '%s\n' "$out"
      differences=1
    fi
  elif ! cmp -s "$src" "$dst"; then
    echo "differ: $src $dst"
    differences=1
  fi
}

for ((i = 0; i < ${#pairs[@]}; i += 2)); do
  report "${pairs[i]}" "${pairs[i + 1]}"
done
# Case folders in the fixtures that the shared folder no longer has.
for dir in "$fixtures"/cases/*/; do
  name="$(basename "$dir")"
  if [ ! -d "$shared/cases/fidelity/$name" ]; then
    echo "only in $fixtures/cases: $name"
    differences=1
  fi
done

if [ "$differences" -eq 0 ]; then
  echo "sync-fixtures: test/fixtures matches $shared"
  exit 0
fi
if [ "$check_only" = true ]; then
  echo "sync-fixtures: test/fixtures differs from $shared (run scripts/sync-fixtures.sh to copy)" >&2
  exit 1
fi

for ((i = 0; i < ${#pairs[@]}; i += 2)); do
  src="${pairs[i]}"
  dst="${pairs[i + 1]}"
  if [ -d "$src" ]; then
    mkdir -p "$dst"
    cp -R "$src/." "$dst/"
  else
    mkdir -p "$(dirname "$dst")"
    cp "$src" "$dst"
  fi
  chmod -R u+w "$dst"
done
echo "sync-fixtures: copied. Files listed above as only in $fixtures were left in place:"
echo "remove them by hand if the shared folder dropped them. Review with git status $fixtures, then commit."
