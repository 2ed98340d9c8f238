// The fixed part of the bash completion script; the tables it reads are generated in
// completion.cpp.
#include "cli/completion.h"

namespace pgbak {

const char* const kBashCompletionFunctions =
    R"BASH(# _pgbak_reply WORDS CUR: add the WORDS that start with CUR to COMPREPLY.
_pgbak_reply() {
  local IFS=$' \t\n'
  # shellcheck disable=SC2207
  COMPREPLY+=($(compgen -W "$1" -- "$2"))
}

# _pgbak_paths -d|-f CUR: directories or files.
_pgbak_paths() {
  if declare -F _filedir >/dev/null; then
    if [[ $1 == -d ]]; then _filedir -d; else _filedir; fi
  else
    local IFS=$'\n'
    # shellcheck disable=SC2207
    COMPREPLY+=($(compgen "$1" -- "$2"))
    compopt -o filenames 2>/dev/null
  fi
}

# _pgbak_dir DIR: DIR with a leading ~/ expanded.
_pgbak_dir() {
  # shellcheck disable=SC2088 # a literal ~/ typed after -D
  if [[ $1 == "~/"* ]]; then echo "$HOME/${1#"~/"}"; else echo "$1"; fi
}

# _pgbak_generations DIR: generation names (directories named by digits).
_pgbak_generations() {
  local dir g out=""
  dir=$(_pgbak_dir "$1")
  [[ -n $dir && -d $dir ]] || return 0
  for g in "$dir"/[0-9]*/; do
    g=${g%/}
    g=${g##*/}
    [[ $g =~ ^[0-9]+$ ]] && out+=" $g"
  done
  echo "$out"
}

# _pgbak_wal_names DIR: names of the WAL files archived in DIR's generations.
_pgbak_wal_names() {
  local dir f out=""
  dir=$(_pgbak_dir "$1")
  [[ -n $dir && -d $dir ]] || return 0
  for f in "$dir"/[0-9]*/pg_wal/*.zst "$dir"/[0-9]*/pg_wal/*.zst.enc; do
    [[ -e $f ]] || continue
    f=${f##*/}
    f=${f%.enc}
    out+=" ${f%.zst}"
  done
  echo "$out"
}

# _pgbak_clusters: the Debian clusters (VERSION/NAME), by their configuration directories.
_pgbak_clusters() {
  local c out=""
  for c in /etc/postgresql/*/*/; do
    [[ -d $c ]] || continue
    c=${c%/}
    out+=" ${c#/etc/postgresql/}"
  done
  echo "$out"
}

# _pgbak_complete KIND CUR DIR: complete CUR as a KIND (see _pgbak_value_kind) of backup
# directory DIR.
_pgbak_complete() {
  case $1 in
  file) _pgbak_paths -f "$2" ;;
  dir) _pgbak_paths -d "$2" ;;
  generation) _pgbak_reply "$(_pgbak_generations "$3")" "$2" ;;
  wal) _pgbak_reply "$(_pgbak_wal_names "$3")" "$2" ;;
  command) _pgbak_reply "$_pgbak_commands" "$2" ;;
  cluster) _pgbak_reply "$(_pgbak_clusters)" "$2" ;;
  user) _pgbak_reply "$(compgen -u)" "$2" ;;
  =*) _pgbak_reply "${1#=}" "$2" ;;
  esac
}

_pgbak_takes_value() { [[ " $_pgbak_value_options " == *" $1 "* ]]; }

_pgbak() {
  local cur prev words cword split=false
  if declare -F _init_completion >/dev/null; then
    # -s: "--dir=X" gives prev=--dir, cur=X
    _init_completion -s -n = || return
  else
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
  fi
  COMPREPLY=()
  # Without bash-completion, "--dir=X" arrives as three words: --dir = X.
  if [[ $cur == = ]]; then cur=""; fi

  # The command, the position of the current word among its arguments, the option whose value
  # the current word is, and the backup directory (-D/--dir, else $PGBAK).
  local i w cmd="" argn=1 value_of="" dir=${PGBAK:-}
  for ((i = 1; i < cword; i++)); do
    w=${words[i]}
    case $w in
    --dir=*) dir=${w#--dir=} ;;
    --*=*) ;;
    -*)
      _pgbak_takes_value "$w" || continue
      if ((i + 1 < cword)) && [[ ${words[i + 1]} == = ]]; then i=$((i + 1)); fi
      i=$((i + 1))
      if ((i == cword)); then
        value_of=$w
      elif [[ $w == -D || $w == --dir ]]; then
        dir=${words[i]}
      fi
      ;;
    *)
      if [[ -z $cmd ]]; then cmd=$w; else argn=$((argn + 1)); fi
      ;;
    esac
  done
  if [[ $split == true ]]; then value_of=$prev; fi

  if [[ -n $value_of ]]; then
    _pgbak_complete "$(_pgbak_value_kind "$value_of")" "$cur" "$dir"
  elif [[ $cur == -* ]]; then
    _pgbak_reply "${cmd:+$(_pgbak_command_options "$cmd") }$_pgbak_options" "$cur"
  elif [[ -z $cmd ]]; then
    _pgbak_reply "$_pgbak_commands" "$cur"
  else
    _pgbak_complete "$(_pgbak_argument_kind "$cmd" "$argn")" "$cur" "$dir"
  fi
}

complete -F _pgbak pgbak
)BASH";

}  // namespace pgbak
