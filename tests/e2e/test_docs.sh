#!/usr/bin/env bash
# The man page documents every command, option and setting the binary has, and lints clean.
set -euo pipefail
PGBAK_SRC=${PGBAK_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PGBAK_BIN=${PGBAK_BIN:-$PGBAK_SRC/build/pgbak}
MAN=$PGBAK_SRC/man/pgbak.1
fail() { echo "FAIL: $*" >&2; exit 1; }

lint=$(mandoc -T lint -W warning "$MAN" 2>&1) || true
[[ -z $lint ]] || fail "mandoc -T lint: $lint"
echo "ok - mandoc -T lint -W warning is clean"

help=$("$PGBAK_BIN" --help)
commands=$(sed -n '/^Commands:/,/^$/p' <<<"$help" | awk 'NF && !/^Commands:/ {print $1}')
[[ $(wc -w <<<"$commands") -ge 3 ]] || fail "could not read the command list from --help"
for c in $commands; do
  grep -qE "^\.It Cm $c( |$)" "$MAN" || fail "command '$c' is not documented in man/pgbak.1"
  # Every option of the command, by its long name.
  for opt in $("$PGBAK_BIN" help "$c" | grep -oE '^\s+(-[a-zA-Z] \[ )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
    grep -qE "Fl -${opt#--}( |$)" "$MAN" || fail "option $opt of '$c' is not documented in man/pgbak.1"
  done
  alias=$("$PGBAK_BIN" help "$c" | sed -n 's/^Alias: //p')
  [[ -z $alias ]] || grep -qE "Cm $alias" "$MAN" || fail "alias '$alias' of '$c' is not documented"
done
echo "ok - every command and command option is in the man page: $(tr '\n' ' ' <<<"$commands")"

# Global options and settings (settings appear as `.It Cm key`).
for opt in $(sed -n '/^Global options:/,/^$/p' <<<"$help" | grep -oE -- '--[a-z-]+'); do
  grep -qE "Fl -${opt#--}( |$)" "$MAN" || fail "global option $opt is not documented"
done
for key in $(sed -n '/^Settings/,/^$/p' <<<"$help" | grep -oE -- '^\s+--[a-z-]+' | sed 's/^ *--//'); do
  grep -qE "Cm $key( |$)" "$MAN" || fail "setting '$key' is not documented"
done
echo "ok - every global option and setting is in the man page"
