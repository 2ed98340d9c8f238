#!/usr/bin/env bash
# The operations files in scripts/: the cron example is well-formed and calls
# known commands; the systemd template units pass `systemd-analyze verify` for
# an instance; docs/upload.md documents every setting the upload scripts read.
# (The bash completion: test_completion.sh.)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init
S=$PGBAK_SRC/scripts

commands=$("$PGBAK_BIN" help | awk '/^Commands:/ {on = 1; next} on && /^$/ {on = 0} on && /^  [a-z]/ {print $1}' | tr '\n' ' ')
[[ -n $commands ]] || fail "no commands found in 'pgbak help'"

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

# ---- systemd units (a template per Debian cluster, instance VERSION-CLUSTER)
service=$S/pgbak-sync@.service.in
timer=$S/pgbak-sync@.timer
command -v systemd-analyze >/dev/null || fail "no systemd-analyze (scripts/install-deps test installs systemd)"
mkdir "$T/units"
sed "s|^ExecStart=@CMAKE_INSTALL_FULL_BINDIR@/pgbak|ExecStart=$PGBAK_BIN|" "$service" >"$T/units/pgbak-sync@.service"
cp "$timer" "$T/units/"
ln -s pgbak-sync@.service "$T/units/pgbak-sync@15-main.service"
ln -s pgbak-sync@.timer "$T/units/pgbak-sync@15-main.timer"
rc=0
(cd "$T/units" && systemd-analyze verify --man=no pgbak-sync@15-main.service pgbak-sync@15-main.timer) >"$T/verify.out" 2>&1 || rc=$?
# postgresql@15-main.service is only named (After=, WantedBy=), not required
grep -v 'postgresql@15-main.service' "$T/verify.out" >"$T/verify.errors" || true
[[ $rc == 0 && ! -s $T/verify.errors ]] || fail "systemd-analyze verify (exit $rc): $(tr '\n' ' ' <"$T/verify.out")"
ok "pgbak-sync@.service and .timer pass systemd-analyze verify"
grep -q '^ExecStart=@CMAKE_INSTALL_FULL_BINDIR@/pgbak -q sync$' "$service" || fail "pgbak-sync@.service does not run 'pgbak -q sync'"
grep -q '^Environment=PGBAK=/var/lib/pgbak/%I$' "$service" || fail "pgbak-sync@.service: not the default directory /var/lib/pgbak/VERSION/CLUSTER"
grep -q '^User=postgres$' "$service" || fail "pgbak-sync@.service does not run as postgres"
grep -q '^OnUnitInactiveSec=' "$timer" || fail "pgbak-sync@.timer has no schedule"
grep -q '^WantedBy=postgresql@%i.service$' "$timer" || fail "pgbak-sync@.timer does not start with its cluster"

# ---- docs/upload.md names every setting the upload scripts read
for v in $(grep -ho 'PGBAK_[A-Z0-9_]*' "$S"/backup-rsync "$S"/backup-rclone "$S"/backup-s3 | sort -u); do
  grep -q "$v" "$PGBAK_SRC/docs/upload.md" || fail "docs/upload.md does not mention $v"
done
ok "docs/upload.md documents every PGBAK_* setting of the upload scripts"
