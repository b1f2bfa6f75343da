#!/usr/bin/env bash
# Stops the test servers started by scripts/services-up.sh, by PID only (never by process name).
#
#   bash scripts/services-down.sh                 # the run in $STATE, else the latest run
#   bash scripts/services-down.sh --state DIR     # the run whose state directory is DIR
#   bash scripts/services-down.sh --all           # every run registered under .anysource/services
#
# A PID is signalled only if /proc/PID/cmdline names that run's own data directory or config file, so a
# stale PID file can never hit an unrelated process. PostgreSQL gets SIGINT (fast shutdown), MariaDB and
# sshd SIGTERM; anything still alive after 10 s gets SIGKILL. Afterwards the run's state (data, keys,
# logs) is removed, unless KEEP_STATE=1.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root="$repo/.anysource/services"
registry="$root/.runs"

say() { echo "services-down: $*" >&2; }

run_key() { printf '%s' "$1" | md5sum | cut -c1-16; }

# stop_pid NAME PIDFILE MATCH SIGNAL
stop_pid() {
  local name=$1 pidfile=$2 match=$3 sig=$4 pid
  [ -s "$pidfile" ] || return 0
  pid=$(head -n1 "$pidfile" | tr -dc '0-9')
  [ -n "$pid" ] || return 0
  if [ ! -r "/proc/$pid/cmdline" ]; then
    rm -f "$pidfile" 2>/dev/null
    return 0
  fi
  if ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$match"; then
    say "$name: pid $pid does not belong to this run (stale PID file), left alone"
    return 0
  fi
  kill "-$sig" "$pid" 2>/dev/null || return 0
  local i
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { say "$name stopped (pid $pid)"; return 0; }
    sleep 0.1
  done
  say "$name (pid $pid) ignored SIG$sig for 10 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null
  return 0
}

stop_state() {
  local dir=$1
  [ -d "$dir" ] || { rm -f "$registry/$(run_key "$dir")"; return 0; }
  stop_pid sshd "$dir/sftp/sshd.pid" "$dir/sftp/sshd_config" TERM
  stop_pid mariadb "$dir/my/pid" "$dir/my/data" TERM
  stop_pid postgresql "$dir/pg/data/postmaster.pid" "$dir/pg/data" INT
  if [ "${KEEP_STATE:-0}" != 1 ]; then
    case $dir in
      "$root"/run-*) rm -rf "${dir:?}" ;; # a directory services-up made itself
      *)
        rm -rf "${dir:?}/pg" "${dir:?}/my" "${dir:?}/sftp" "${dir:?}/tls" "$dir/env.sh" "$dir/owner" "$dir/apt.log"
        rmdir "$dir" 2>/dev/null || true
        ;;
    esac
  fi
  rm -f "$registry/$(run_key "$dir")"
  if [ -f "$root/latest" ] && [ "$(cat "$root/latest")" = "$dir" ]; then rm -f "$root/latest"; fi
}

mode=one target=${STATE:-}
while [ $# -gt 0 ]; do
  case $1 in
    --all) mode=all ;;
    --state) target=${2:?--state needs a directory}; shift ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) say "unknown argument: $1"; exit 2 ;;
  esac
  shift
done

if [ "$mode" = all ]; then
  shopt -s nullglob
  for f in "$registry"/*; do stop_state "$(cat "$f")"; done
  exit 0
fi

if [ -z "$target" ] && [ -f "$root/latest" ]; then target=$(cat "$root/latest"); fi
if [ -z "$target" ]; then
  say "nothing to stop (STATE is not set and no run is recorded)"
  exit 0
fi
target=$(cd "$target" 2>/dev/null && pwd || printf '%s' "$target")
stop_state "$target"
