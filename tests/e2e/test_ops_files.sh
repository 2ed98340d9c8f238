#!/usr/bin/env bash
# The operations files in scripts/: the bash completion completes commands,
# options, generations and WAL names and knows every command `pgbak help`
# lists; the cron example is well-formed and calls known commands; the systemd
# units pass `systemd-analyze verify`; docs/upload.md documents every setting
# the upload scripts read.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
S=$PGBAK_SRC/scripts

# ---- bash completion
bash -n "$S/pgbak.bash-completion" || fail "pgbak.bash-completion: syntax error"
# completions WORD...: what completing the last WORD of `pgbak WORD...` offers,
# sorted, on one line.
completions() {
  (
    set +eEu
    trap - ERR
    # shellcheck source=/dev/null
    source "$S/pgbak.bash-completion"
    COMP_WORDS=(pgbak "$@")
    COMP_CWORD=$#
    COMP_LINE="pgbak $*"
    COMP_POINT=${#COMP_LINE}
    _pgbak
    printf '%s\n' "${COMPREPLY[@]}"
  ) | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'
}
# words_of LIST: the words of a space-separated list, sorted, on one line.
words_of() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'; }

commands="init archive-wal wal sync force-sync full-sync wait restore-wal restore verify status info check prune keygen help"
globals="-D --dir -c --config -q --quiet -v --verbose --help --version"
assert_eq "$(words_of "$commands")" "$(completions "")" "commands offered for 'pgbak <TAB>'"
assert_eq "$(words_of "$globals")" "$(completions -)" "options offered for 'pgbak -<TAB>'"
assert_eq "force-sync full-sync" "$(completions -q f)" "'pgbak -q f<TAB>'"
assert_eq "status" "$(completions help st)" "'pgbak help st<TAB>'"
assert_match '--json' "$(completions status --)" "'pgbak status --<TAB>'"
assert_match '--prometheus' "$(completions status --)" "'pgbak status --<TAB>'"
assert_match '--keep' "$(completions prune --)" "'pgbak prune --<TAB>'"
assert_match '--dry-run' "$(completions prune --)" "'pgbak prune --<TAB>'"
assert_match '--keep-within' "$(completions prune --)" "'pgbak prune --<TAB>'"
assert_match '--remote' "$(completions info --)" "'pgbak info --<TAB>'"
assert_match '--generation' "$(completions restore --)" "'pgbak restore --<TAB>'"
assert_match '--generation' "$(completions restore-wal --)" "'pgbak restore-wal --<TAB>'"
ok "completes commands and options"

mkdir -p "$T/bk/1763700000/pg_wal" "$T/bk/1763800000/pg_wal" "$T/bk/scripts"
touch "$T/bk/1763700000/pg_wal/000000010000000000000001.zst" "$T/bk/1763800000/pg_wal/000000010000000000000002.zst"
touch "$T/bk/1763800000/pg_wal/000000010000000000000003.zst.enc"
assert_eq "1763700000 1763800000" "$(completions -D "$T/bk" verify "")" "generations for 'pgbak -D DIR verify <TAB>'"
assert_eq "1763700000 1763800000" "$(PGBAK=$T/bk completions restore --generation "")" "generations from \$PGBAK"
# Without bash-completion, bash splits "--dir=DIR" into three words.
assert_eq "1763700000 1763800000" "$(completions --dir = "$T/bk" verify "")" "generations for 'pgbak --dir=DIR verify <TAB>'"
assert_eq "000000010000000000000001 000000010000000000000002 000000010000000000000003" \
  "$(completions --dir "$T/bk" restore-wal 0000)" "WAL names for 'pgbak --dir DIR restore-wal 0000<TAB>'"
assert_eq "$T/bk" "$(completions -D "$T/b")" "directories for 'pgbak -D DIR<TAB>'"
assert_eq "$T/bk/1763700000" "$(completions restore "$T/bk/17637")" "directories for 'pgbak restore PGDATA<TAB>'"
ok "completes generations, WAL names and paths"

# Every command the binary lists must be completed.
listed=$("$PGBAK_BIN" help | awk '/^Commands:/ {on = 1; next} on && /^$/ {on = 0} on && /^  [a-z]/ {print $1}')
[[ -n $listed ]] || fail "no commands found in 'pgbak help'"
for c in $listed; do
  [[ " $commands " == *" $c "* ]] || fail "'pgbak help' lists '$c', which pgbak.bash-completion does not complete"
done
ok "completion knows every command of 'pgbak help' ($(tr '\n' ' ' <<<"$listed"))"

# ---- cron example
n=0
while IFS= read -r line; do
  [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
  [[ $line =~ ^[A-Z_]+=[^[:space:]]+$ ]] && continue
  fields='([0-9*/,-]+)[[:space:]]+'
  re="^$fields$fields$fields$fields$fields([a-z_][a-z0-9_-]*)[[:space:]]+(.+)$"
  [[ $line =~ $re ]] || fail "pgbak.cron: not 'm h dom mon dow user command': $line"
  read -ra cmd <<<"${BASH_REMATCH[7]}"
  [[ ${cmd[0]##*/} == pgbak ]] || fail "pgbak.cron: runs ${cmd[0]}, not pgbak: $line"
  for w in "${cmd[@]:1}"; do
    [[ $w == -* ]] && continue
    [[ " $commands " == *" $w "* ]] || fail "pgbak.cron: unknown pgbak command '$w': $line"
    break
  done
  n=$((n + 1))
done <"$S/pgbak.cron"
((n >= 1)) || fail "pgbak.cron has no job"
ok "pgbak.cron: $n well-formed jobs"

# ---- systemd units
if command -v systemd-analyze >/dev/null; then
  mkdir "$T/units"
  sed "s|^ExecStart=/usr/bin/pgbak|ExecStart=$PGBAK_BIN|" "$S/pgbak-sync.service" >"$T/units/pgbak-sync.service"
  cp "$S/pgbak-sync.timer" "$T/units/"
  rc=0
  (cd "$T/units" && systemd-analyze verify --man=no pgbak-sync.service pgbak-sync.timer) >"$T/verify.out" 2>&1 || rc=$?
  [[ $rc == 0 && ! -s $T/verify.out ]] || fail "systemd-analyze verify (exit $rc): $(tr '\n' ' ' <"$T/verify.out")"
  ok "pgbak-sync.service and .timer pass systemd-analyze verify"
else
  echo "note: no systemd-analyze: skipped checking the systemd units"
fi
grep -q '^ExecStart=/usr/bin/pgbak -q sync$' "$S/pgbak-sync.service" || fail "pgbak-sync.service does not run 'pgbak -q sync'"
grep -q '^Unit=\|^OnUnitInactiveSec=\|^OnUnitActiveSec=\|^OnCalendar=' "$S/pgbak-sync.timer" || fail "pgbak-sync.timer has no schedule"

# ---- docs/upload.md names every setting the upload scripts read
for v in $(grep -ho 'PGBAK_[A-Z0-9_]*' "$S"/backup-rsync "$S"/backup-rclone "$S"/backup-s3 | sort -u); do
  grep -q "$v" "$PGBAK_SRC/docs/upload.md" || fail "docs/upload.md does not mention $v"
done
ok "docs/upload.md documents every PGBAK_* setting of the upload scripts"
