#!/usr/bin/env bash
# prune killed (kill -9) at every step: after hiding a generation (renamed to .deleting.GEN),
# in the middle of removing its files, after removing the first of two generations, after hiding
# the second. Every generation left under its own name is whole (byte for byte as before), the
# kept ones and `current` are untouched, and the next prune finishes the work: the same result
# as an uninterrupted prune, no .deleting.* left.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/fault_lib.sh"
e2e_init
pgbak_init
echo "pg-bindir = $T/nothing-here" >"$PGBAK/pgbak.conf"

G=(1700000001 1700000002 1700000003 1700000004)
# Four complete generations (a base, three WAL files, SHA256SUMS each), made once in $T/template.
for g in "${G[@]}"; do
  as_pg mkdir -p "$T/template/$g/pg_wal"
  echo "base of $g" | zstd -q | as_pg tee "$T/template/$g/base.tzst" >/dev/null
  for i in 1 2 3; do
    seg=$(printf '00000001000000000000%02X%02X' "${g: -1}" "$i")
    mkseg "$T/template/$seg" "$seg" --seed "$i" --size 262144
    zstd -q -c "$T/template/$seg" | as_pg tee "$T/template/$g/pg_wal/$seg.zst" >/dev/null
  done
  as_pg sh -c 'cd "$1" && sha256sum base.tzst pg_wal/* >SHA256SUMS' _ "$T/template/$g"
done
# make_generations: the four generations in $PGBAK (again), current pointing at the newest.
make_generations() {
  local g
  for g in "${G[@]}"; do
    rm -rf "${PGBAK:?}/$g"
    as_pg cp -a "$T/template/$g" "$PGBAK/$g"
  done
  as_pg ln -sfn "${G[3]}" "$PGBAK/current"
  # Uploaded whole, as a successful backup-script run records it (prune keeps what is not).
  for g in "${G[@]}"; do
    echo "$g $(grep -c . "$PGBAK/$g/SHA256SUMS") $(sha256sum <"$PGBAK/$g/SHA256SUMS" | cut -d' ' -f1)"
  done | as_pg tee "$PGBAK/sync.uploaded" >/dev/null
}
# tree_sum GEN: one digest of every name and byte under the generation.
tree_sum() {
  (cd "$PGBAK/$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
}

make_generations
declare -A before
for g in "${G[@]}"; do before[$g]=$(tree_sum "$g"); done
first_wal=$(ls "$PGBAK/${G[0]}/pg_wal" | head -n 1)

for step in "prune-after-rename:${G[0]}" "remove-tree:$PGBAK/.deleting.${G[0]}/pg_wal/$first_wal" \
  "prune-after-remove:${G[0]}" "prune-after-rename:${G[1]}"; do
  pgbak_fault "$step" prune --keep 2
  for g in "${G[@]}"; do
    [[ -d $PGBAK/$g ]] || continue
    assert_eq "${before[$g]}" "$(tree_sum "$g")" "generation $g after a crash at $step"
  done
  for g in "${G[2]}" "${G[3]}"; do assert_file "$PGBAK/$g/base.tzst"; done
  assert_eq "${G[3]}" "$(readlink "$PGBAK/current")" "current after a crash at $step"
  if [[ $step != prune-after-remove:* ]]; then
    [[ -n $(find "$PGBAK" -maxdepth 1 -name '.deleting.*') ]] ||
      fail "no hidden generation after a crash at $step"
  fi
  assert_exit 0 pgbak_run prune --keep 2
  assert_eq "${G[2]} ${G[3]} current" "$(ls "$PGBAK" | grep -E '^(current|[0-9]+)$' | tr '\n' ' ' | sed 's/ $//')" \
    "generations after the retry of a crash at $step"
  assert_eq "" "$(find "$PGBAK" -maxdepth 1 -name '.deleting.*')" "hidden generations after the retry"
  for g in "${G[2]}" "${G[3]}"; do
    assert_eq "${before[$g]}" "$(tree_sum "$g")" "kept generation $g after the retry"
  done
  ok "prune killed at ${step%%:*}: generations whole or hidden, the retry finishes it"
  make_generations # back to four for the next step
done
