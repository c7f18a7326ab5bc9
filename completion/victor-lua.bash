# bash completion for victor-lua (installed as share/bash-completion/completions/victor-lua).
# The command list and each command's options are read from victor-lua's own help texts
# (`victor-lua help`, `victor-lua COMMAND --help`), so completion never goes stale.
_victor_lua() {
  local cur=${COMP_WORDS[COMP_CWORD]} bin=${COMP_WORDS[0]} words
  if [ "$COMP_CWORD" -eq 1 ]; then
    words=$("$bin" help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
    # shellcheck disable=SC2207
    COMPREPLY=($(compgen -W "$words -e -l -v --version -h --help" -- "$cur"))
    [ "${#COMPREPLY[@]}" -gt 0 ] && return
  elif [[ $cur == -* ]]; then
    words=$("$bin" "${COMP_WORDS[1]}" --help 2>/dev/null | grep -oE -- '(^|[[ ,])--?[a-zA-Z][a-zA-Z0-9-]*' \
      | grep -oE -- '--?[a-zA-Z][a-zA-Z0-9-]*' | sort -u)
    # shellcheck disable=SC2207
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
    return
  fi
  # shellcheck disable=SC2207
  COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _victor_lua victor-lua
