#!/usr/bin/env bash
# Starts real PostgreSQL, MariaDB and OpenSSH/SFTP servers on loopback for the integration tests.
# Needs root (apt-get, useradd, runuser). Idempotent: safe to run again, and it cleans up after runs
# whose shell has gone away.
#
#   source scripts/services-up.sh                 # fresh state dir under .anysource/services/
#   STATE=/tmp/svc source scripts/services-up.sh  # a state dir of your choice (reused: its old servers are stopped)
#   bash scripts/services-up.sh                   # same, but prints the variables; then `source "$STATE/env.sh"`
#   bash scripts/services-down.sh                 # stops them again (by PID)
#
# Exports (and writes to $STATE/env.sh): STATE PG_URL MYSQL_URL SFTP_HOST SFTP_PORT SFTP_USER SFTP_KEY
#   SFTP_PASSWORD SFTP_HOST_FINGERPRINT (SHA256:...) SFTP_KNOWN_HOSTS SFTP_HOME, plus PG_ADMIN_URL (superuser)
#   and PG_TLS_CA / MYSQL_TLS_CA (the CA of the servers' TLS certificate for 127.0.0.1; plain TCP works too).
# Knobs: SERVICES="pg mysql sftp" (a subset starts only those), PG_PORT=54329 MY_PORT=33069 SFTP_PORT=2222
#   (a busy port is skipped for the next free one), SFTP_USER=sftptest.
#
# When sourced, a failure returns non-zero and leaves your shell's options (set -e ...) untouched:
# the work happens in a child bash, and only the final `source "$STATE/env.sh"` runs in your shell.

if [ "${1:-}" != "--child" ]; then
  _anysvc_sourced=0
  (return 0 2>/dev/null) && _anysvc_sourced=1
  if [ "$_anysvc_sourced" = 1 ]; then _anysvc_owner=$$; else _anysvc_owner=$PPID; fi
  _anysvc_out=$(mktemp)
  _ANYSVC_OWNER=$_anysvc_owner _ANYSVC_OUT=$_anysvc_out bash "${BASH_SOURCE[0]}" --child >&2
  _anysvc_rc=$?
  _anysvc_state=$(cat "$_anysvc_out" 2>/dev/null)
  rm -f "$_anysvc_out"
  if [ "$_anysvc_rc" -eq 0 ] && [ -n "$_anysvc_state" ] && [ -f "$_anysvc_state/env.sh" ]; then
    # shellcheck disable=SC1091
    . "$_anysvc_state/env.sh"
    if [ "$_anysvc_sourced" = 0 ]; then
      sed -E 's/^(export (SFTP_PASSWORD|PG_ADMIN_URL))=.*/\1=<secret: see the env file>/' "$_anysvc_state/env.sh"
      echo "# source \"$_anysvc_state/env.sh\" to use these; bash scripts/services-down.sh --state \"$_anysvc_state\" stops them" >&2
    fi
    _anysvc_rc=0
  else
    [ "$_anysvc_rc" -eq 0 ] && _anysvc_rc=1
    echo "services-up: failed (exit $_anysvc_rc)" >&2
  fi
  unset _anysvc_owner _anysvc_out _anysvc_state
  if [ "$_anysvc_sourced" = 1 ]; then
    unset _anysvc_sourced
    eval "unset _anysvc_rc; return $_anysvc_rc"
  fi
  exit "$_anysvc_rc"
fi

# ---------------------------------------------------------------- child: does the work, strict mode
set -euo pipefail
umask 022

say() { echo "services-up: $*" >&2; }
die() {
  say "ERROR: $*"
  exit 1
}
[ "$(id -u)" = 0 ] || die "must run as root (it installs packages and starts servers as their own users)"

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root="$repo/.anysource/services"
registry="$root/.runs"
install -d -m 0755 "$root" "$registry"
run_key() { printf '%s' "$1" | md5sum | cut -c1-16; }

# One services-up at a time on this machine (ports, the shared test user, apt).
exec 9>"$root/.lock"
flock -w 600 9 || die "another services-up kept $root/.lock for 10 minutes"

services=" ${SERVICES:-pg mysql sftp} "
want() { [[ "$services" == *" $1 "* ]]; }

# Identity of a process that survives PID reuse: "pid starttime".
proc_id() { [ -r "/proc/$1/stat" ] && echo "$1 $(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20)"; }
owner_id=$(proc_id "${_ANYSVC_OWNER:-$PPID}" || true)

# ---------------------------------------------------------------- 1. leftovers of earlier runs
if [ -n "${STATE:-}" ]; then
  mkdir -p "$STATE"
  STATE=$(cd "$STATE" && pwd)
  bash "$repo/scripts/services-down.sh" --state "$STATE"
  mkdir -p "$STATE" # services-down removes an empty state directory
fi
shopt -s nullglob
for f in "$registry"/*; do
  dir=$(cat "$f")
  [ "$dir" = "${STATE:-}" ] && continue
  owner=$(cat "$dir/owner" 2>/dev/null || true)
  pid=${owner%% *}
  if [ -n "$owner" ] && [ -n "$pid" ] && [ "$(proc_id "$pid" || true)" = "$owner" ]; then
    continue # its shell is still alive: someone is using those servers, leave them
  fi
  say "stopping the servers of an earlier run whose shell has gone: $dir"
  bash "$repo/scripts/services-down.sh" --state "$dir"
done
shopt -u nullglob

# ---------------------------------------------------------------- 2. the state directory
# postgres and mysql must be able to traverse it: mktemp -d and /root are 0700.
if [ -z "${STATE:-}" ]; then
  if runuser -u nobody -- test -x "$root/."; then
    STATE=$(mktemp -d "$root/run-XXXXXX")
  else
    STATE=$(mktemp -d -t anysource-services-XXXXXX)
  fi
fi
chmod 0755 "$STATE"
runuser -u nobody -- test -x "$STATE/." || die "$STATE is not traversable by other users (postgres/mysql need that); pick another STATE"
echo "$owner_id" >"$STATE/owner"
echo "$STATE" >"$registry/$(run_key "$STATE")"
echo "$STATE" >"$root/latest"
say "state: $STATE"

# ---------------------------------------------------------------- 3. Debian packages (only if missing)
need=()
if want pg && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then need+=(postgresql); fi
if want mysql && ! { command -v mariadbd && command -v mariadb-install-db && command -v mariadb-admin; } >/dev/null; then
  need+=(mariadb-server mariadb-client)
fi
if want sftp && ! { [ -x /usr/sbin/sshd ] && command -v ssh-keygen && command -v ssh-keyscan; } >/dev/null; then
  need+=(openssh-server openssh-client)
fi
if { want pg || want mysql; } && ! command -v openssl >/dev/null; then need+=(openssl); fi
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the packages' own init scripts from starting system-wide servers during the install.
  policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    policy_added=1
  fi
  apt_ok=0
  for attempt in 1 2 3; do
    if apt-get -o DPkg::Lock::Timeout=300 update -qq >"$STATE/apt.log" 2>&1 &&
      apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}" >>"$STATE/apt.log" 2>&1; then
      apt_ok=1
      break
    fi
    say "apt-get failed (attempt $attempt), retrying"
    sleep 5
  done
  [ "$policy_added" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$apt_ok" = 1 ] || {
    tail -20 "$STATE/apt.log" >&2
    die "could not install ${need[*]}"
  }
fi

# ---------------------------------------------------------------- helpers
port_busy() { [ -n "$(ss -Hltn "( sport = :$1 )" 2>/dev/null)" ]; }
pick_port() {
  local p=$1
  while port_busy "$p"; do
    p=$((p + 1))
    [ "$p" -gt $(($1 + 100)) ] && die "no free port in $1..$p"
  done
  [ "$p" = "$1" ] || say "port $1 is busy, using $p"
  echo "$p"
}
wait_for() { # DESCRIPTION SECONDS COMMAND...
  local what=$1 secs=$2 i
  shift 2
  for i in $(seq $((secs * 10))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
gen_secret() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }
env_lines=()
export_var() { env_lines+=("$(printf 'export %s=%q' "$1" "$2")"); }
export_var STATE "$STATE"

# ---------------------------------------------------------------- TLS: a throwaway CA and a server certificate for 127.0.0.1
if want pg || want mysql; then
  install -d -m 0755 "$STATE/tls"
  (
    cd "$STATE/tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj "/CN=anysource test CA" \
      -keyout ca.key -out ca.pem
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext -out server.pem
    chmod 0644 ca.pem server.pem
  ) >"$STATE/tls/openssl.log" 2>&1 || {
    tail -20 "$STATE/tls/openssl.log" >&2
    die "could not make the test TLS certificates"
  }
fi

# ---------------------------------------------------------------- 4. PostgreSQL: private cluster (TLS on, optional)
if want pg; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PG_PORT=$(pick_port "${PG_PORT:-54329}")
  pg_admin_pw=$(gen_secret)
  install -d -o postgres -g postgres -m 0700 "$STATE/pg"
  (umask 077 && printf '%s\n' "$pg_admin_pw" >"$STATE/pg/pwfile")
  chown postgres:postgres "$STATE/pg/pwfile"
  install -o postgres -g postgres -m 0600 "$STATE/tls/server.key" "$STATE/pg/server.key"
  # local (socket) connections trust, TCP needs a password: the adapters' Auth errors are testable.
  runuser -u postgres -- "$pgbin/initdb" -D "$STATE/pg/data" -U postgres --pwfile="$STATE/pg/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale --no-instructions \
    >"$STATE/pg/initdb.log" 2>&1 9>&- || {
    tail -20 "$STATE/pg/initdb.log" >&2
    die "initdb failed"
  }
  if ! runuser -u postgres -- "$pgbin/pg_ctl" -D "$STATE/pg/data" -l "$STATE/pg/log" -w -t 60 \
    -o "-p $PG_PORT -k '$STATE/pg' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c ssl=on -c ssl_cert_file='$STATE/tls/server.pem' -c ssl_key_file='$STATE/pg/server.key'" \
    start </dev/null >/dev/null 2>&1 9>&-; then
    tail -20 "$STATE/pg/log" >&2 || true
    die "PostgreSQL did not start"
  fi
  wait_for postgres 30 "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || die "PostgreSQL is not accepting connections"
  runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h "$STATE/pg" -p "$PG_PORT" -U postgres -d postgres \
    -c "CREATE ROLE etl LOGIN PASSWORD 'etl'" -c "CREATE DATABASE etl OWNER etl" >/dev/null 9>&-
  export_var PG_URL "postgres://etl:etl@127.0.0.1:$PG_PORT/etl"
  export_var PG_ADMIN_URL "postgres://postgres:$pg_admin_pw@127.0.0.1:$PG_PORT/etl"
  export_var PG_TLS_CA "$STATE/tls/ca.pem"
  say "PostgreSQL $("$pgbin/postgres" -V | awk '{print $3}') on 127.0.0.1:$PG_PORT"
fi

# ---------------------------------------------------------------- 5. MariaDB: private datadir
if want mysql; then
  MY_PORT=$(pick_port "${MY_PORT:-33069}")
  install -d -o mysql -g mysql -m 0750 "$STATE/my"
  install -o mysql -g mysql -m 0600 "$STATE/tls/server.key" "$STATE/my/server.key"
  mariadb-install-db --user=mysql --datadir="$STATE/my/data" --auth-root-authentication-method=socket \
    --skip-test-db >"$STATE/my/install.log" 2>&1 9>&- || {
    tail -20 "$STATE/my/install.log" >&2
    die "mariadb-install-db failed"
  }
  setsid mariadbd --no-defaults --user=mysql --datadir="$STATE/my/data" --socket="$STATE/my/sock" \
    --port="$MY_PORT" --bind-address=127.0.0.1 --pid-file="$STATE/my/pid" --log-error="$STATE/my/err.log" \
    --skip-log-bin --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=256M --max-connections=200 \
    --ssl-ca="$STATE/tls/ca.pem" --ssl-cert="$STATE/tls/server.pem" --ssl-key="$STATE/my/server.key" \
    </dev/null >/dev/null 2>&1 9>&- &
  if ! wait_for mariadb 60 mariadb-admin --no-defaults --socket="$STATE/my/sock" -uroot ping; then
    tail -20 "$STATE/my/err.log" >&2 || true
    die "MariaDB did not start"
  fi
  mariadb --no-defaults --socket="$STATE/my/sock" -uroot -e "
    CREATE DATABASE etl CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    CREATE USER 'etl'@'127.0.0.1' IDENTIFIED BY 'etl';
    CREATE USER 'etl'@'localhost' IDENTIFIED BY 'etl';
    GRANT ALL ON etl.* TO 'etl'@'127.0.0.1';
    GRANT ALL ON etl.* TO 'etl'@'localhost';" 9>&-
  wait_for mariadb-tcp 30 mariadb-admin --no-defaults -h127.0.0.1 -P"$MY_PORT" -uetl -petl ping ||
    die "MariaDB does not answer on 127.0.0.1:$MY_PORT"
  export_var MYSQL_URL "mysql://etl:etl@127.0.0.1:$MY_PORT/etl"
  export_var MYSQL_TLS_CA "$STATE/tls/ca.pem"
  say "MariaDB $(mariadbd --version | awk '{print $3}') on 127.0.0.1:$MY_PORT"
fi

# ---------------------------------------------------------------- 6. sshd/SFTP: own config, key + password auth
if want sftp; then
  SFTP_USER=${SFTP_USER:-sftptest}
  SFTP_PORT=$(pick_port "${SFTP_PORT:-2222}")
  mkdir -p /run/sshd
  chmod 0755 /run/sshd # privilege-separation dir; sshd refuses to start without it
  id "$SFTP_USER" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$SFTP_USER"
  SFTP_HOME=$(getent passwd "$SFTP_USER" | cut -d: -f6)
  [ -d "$SFTP_HOME" ] || install -d -o "$SFTP_USER" -g "$SFTP_USER" -m 0755 "$SFTP_HOME"
  # One password per checkout, reused by every run: concurrent runs share the system user.
  pwfile="$root/sftp-password-$SFTP_USER"
  if [ ! -s "$pwfile" ]; then (umask 077 && gen_secret >"$pwfile"); fi
  SFTP_PASSWORD=$(cat "$pwfile")
  printf '%s:%s\n' "$SFTP_USER" "$SFTP_PASSWORD" | chpasswd # also unlocks the account useradd left locked
  install -d -m 0755 "$STATE/sftp" "$STATE/sftp/keys"
  ssh-keygen -q -t ed25519 -N '' -C "anysource-test-host" -f "$STATE/sftp/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C "anysource-test-client" -f "$STATE/sftp/client_ed25519"
  install -m 0644 "$STATE/sftp/client_ed25519.pub" "$STATE/sftp/keys/$SFTP_USER"
  cat >"$STATE/sftp/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $SFTP_PORT
HostKey $STATE/sftp/host_ed25519
PidFile $STATE/sftp/sshd.pid
AuthorizedKeysFile $STATE/sftp/keys/%u
PubkeyAuthentication yes
PasswordAuthentication yes
PermitEmptyPasswords no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
StrictModes no
AllowUsers $SFTP_USER
MaxStartups 100:30:200
MaxSessions 50
LogLevel VERBOSE
Subsystem sftp internal-sftp
CFG
  /usr/sbin/sshd -t -f "$STATE/sftp/sshd_config" || die "sshd rejected its config"
  # -f must be absolute: sshd re-execs itself from / for every connection.
  /usr/sbin/sshd -f "$STATE/sftp/sshd_config" -E "$STATE/sftp/sshd.log" </dev/null >/dev/null 2>&1 9>&-
  wait_for sshd 10 test -s "$STATE/sftp/sshd.pid" || die "sshd did not write its PID file (see $STATE/sftp/sshd.log)"
  wait_for sshd 10 ssh-keyscan -T 2 -p "$SFTP_PORT" 127.0.0.1 || die "sshd does not answer on 127.0.0.1:$SFTP_PORT"
  SFTP_HOST_FINGERPRINT=$(ssh-keygen -l -E sha256 -f "$STATE/sftp/host_ed25519.pub" | awk '{print $2}')
  [[ "$SFTP_HOST_FINGERPRINT" == SHA256:* ]] || die "unexpected host key fingerprint: $SFTP_HOST_FINGERPRINT"
  if [ "$SFTP_PORT" = 22 ]; then host_pattern=127.0.0.1; else host_pattern="[127.0.0.1]:$SFTP_PORT"; fi
  echo "$host_pattern $(cut -d' ' -f1,2 "$STATE/sftp/host_ed25519.pub")" >"$STATE/sftp/known_hosts"
  export_var SFTP_HOST 127.0.0.1
  export_var SFTP_PORT "$SFTP_PORT"
  export_var SFTP_USER "$SFTP_USER"
  export_var SFTP_KEY "$STATE/sftp/client_ed25519"
  export_var SFTP_PASSWORD "$SFTP_PASSWORD"
  export_var SFTP_HOST_FINGERPRINT "$SFTP_HOST_FINGERPRINT"
  export_var SFTP_KNOWN_HOSTS "$STATE/sftp/known_hosts"
  export_var SFTP_HOME "$SFTP_HOME"
  say "sshd/SFTP on 127.0.0.1:$SFTP_PORT (user $SFTP_USER, key or password)"
fi

# ---------------------------------------------------------------- 7. env file
(
  umask 077
  echo "# written by scripts/services-up.sh on $(date -u +%FT%TZ); stop with: bash scripts/services-down.sh --state '$STATE'"
  printf '%s\n' "${env_lines[@]}"
) >"$STATE/env.sh"
printf '%s' "$STATE" >"$_ANYSVC_OUT"
