#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the run-store tests and print its URL on stdout:
#
#   export REEPLAN_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)     # start (or reuse) the server
#   bash .ci/postgres.sh stop                                    # stop it
#
# Idempotent: installs PostgreSQL from the Debian packages if it is missing (apt-get update once,
# then apt-get install -y postgresql), creates its own cluster in $REEPLAN_PG_DIR (never touches
# the system's clusters), listens on 127.0.0.1 only, and reuses a server that is already running.
# Everything but the URL goes to stderr. Settings (environment, with defaults):
#   REEPLAN_PG_DIR=/tmp/reeplan-ci-postgres  REEPLAN_PG_PORT=55432
#   REEPLAN_PG_USER=reeplan  REEPLAN_PG_PASSWORD=reeplan-ci  REEPLAN_PG_DB=reeplan_test
set -euo pipefail

PGROOT=${REEPLAN_PG_DIR:-/tmp/reeplan-ci-postgres}
PORT=${REEPLAN_PG_PORT:-55432}
DB_USER=${REEPLAN_PG_USER:-reeplan}
DB_PASS=${REEPLAN_PG_PASSWORD:-reeplan-ci}
DB_NAME=${REEPLAN_PG_DB:-reeplan_test}
DATA=$PGROOT/data
LOG=$PGROOT/server.log

log() { echo "postgres.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $DB_USER =~ ^[a-z_][a-z0-9_]*$ ]] || die "REEPLAN_PG_USER must match [a-z_][a-z0-9_]*"
[[ $DB_NAME =~ ^[a-z_][a-z0-9_]*$ ]] || die "REEPLAN_PG_DB must match [a-z_][a-z0-9_]*"
[[ $DB_PASS =~ ^[A-Za-z0-9._~-]+$ ]] || die "REEPLAN_PG_PASSWORD must match [A-Za-z0-9._~-]+"
[[ $PORT =~ ^[0-9]+$ ]] || die "REEPLAN_PG_PORT must be a number"

# initdb refuses to run as root: as root, the server runs as the 'postgres' system user.
if [[ $(id -u) -eq 0 ]]; then
    as_pg() { (cd / && runuser -u postgres -- "$@"); }
    sudo_() { "$@"; }
else
    as_pg() { (cd / && "$@"); }
    sudo_() { if command -v sudo >/dev/null; then sudo -n "$@"; else "$@"; fi; }
fi

find_bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n $d && -x $d/initdb && -x $d/pg_ctl ]]; then echo "$d"; return; fi
    if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
        dirname "$(readlink -f "$(command -v pg_ctl)")"
    fi
}

BIN=$(find_bindir)
if [[ ${1:-} == stop ]]; then
    if [[ -n $BIN && -f $DATA/PG_VERSION ]] \
        && as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
        as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2
    else
        log "server is not running"
    fi
    exit 0
elif [[ -n ${1:-} ]]; then
    die "unknown argument '$1' (usage: postgres.sh [stop])"
fi

if [[ -z $BIN ]]; then
    command -v apt-get >/dev/null || die "PostgreSQL is not installed and apt-get is not available"
    log "installing PostgreSQL from the Debian packages"
    sudo_ apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq postgresql >&2
    BIN=$(find_bindir)
    [[ -n $BIN ]] || die "PostgreSQL was installed but initdb/pg_ctl were not found"
fi

if [[ $(id -u) -eq 0 ]]; then
    getent passwd postgres >/dev/null || die "the 'postgres' system user is missing"
fi

mkdir -p "$PGROOT"
if [[ $(id -u) -eq 0 ]]; then chown postgres: "$PGROOT"; fi
chmod 700 "$PGROOT"

if [[ ! -f $DATA/PG_VERSION ]]; then
    log "creating a cluster in $DATA"
    rm -rf "$DATA"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C \
        --auth-local=trust --auth-host=scram-sha-256 >"$PGROOT/initdb.log" 2>&1 \
        || { cat "$PGROOT/initdb.log" >&2; die "initdb failed"; }
    echo "include_if_exists = 'reeplan.conf'" | as_pg tee -a "$DATA/postgresql.conf" >/dev/null
fi

# Rewritten on every call so a changed port takes effect; durability is not needed in CI.
as_pg tee "$DATA/reeplan.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$PGROOT'
max_connections = 100
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

if as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 5; then
        log "restarting the server on port $PORT"
        as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -m fast -w -t 60 restart >&2 \
            || { tail -n 20 "$LOG" >&2; die "could not restart PostgreSQL"; }
    else
        log "reusing the server running on 127.0.0.1:$PORT"
    fi
else
    log "starting PostgreSQL ($("$BIN/postgres" --version)) on 127.0.0.1:$PORT"
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >&2 \
        || { tail -n 20 "$LOG" >&2; die "could not start PostgreSQL (is port $PORT in use?)"; }
fi

psql_admin() {
    as_pg "$BIN/psql" -h "$PGROOT" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAtX "$@"
}

psql_admin >&2 <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
        CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASS';
    ELSE
        ALTER ROLE $DB_USER LOGIN PASSWORD '$DB_PASS';
    END IF;
END
\$\$;
SQL
if [[ -z $(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'") ]]; then
    psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >&2
fi

# Check the URL works over TCP with the password before handing it out.
PGPASSWORD=$DB_PASS PGCONNECT_TIMEOUT=10 "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$DB_USER" \
    -d "$DB_NAME" -qAtX -c "SELECT 1" >/dev/null \
    || die "cannot log in as $DB_USER to $DB_NAME on 127.0.0.1:$PORT"

echo "postgresql://$DB_USER:$DB_PASS@127.0.0.1:$PORT/$DB_NAME"
