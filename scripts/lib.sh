# Shell helpers shared by the project's scripts; source it.

# A random high port that nothing answers on (bash's /dev/tcp: no extra tool needed).
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

# Whether every folder from / down to $1 may be entered by other users (the postgres user must reach its files).
reachable_by_others() {
  local dir
  dir=$(realpath "$1")
  while true; do
    [[ $(stat -c %A "$dir") == *x ]] || [[ $(stat -c %A "$dir") == *t ]] || return 1
    [[ $dir == / ]] && return 0
    dir=$(dirname "$dir")
  done
}
