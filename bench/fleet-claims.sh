#!/usr/bin/env bash
# Claims per second through PostgreSQL (issue 13, acceptance d): a temporary PostgreSQL cluster with
# its default, durable settings (fsync and synchronous commit on, unlike the tests' throwaway clusters),
# HOSTS simulated hosts published through the product's FleetStore, then 1, 8 and 64 claiming clients
# (threads, each with its own connection pool), each run for SECONDS seconds on a fresh database.
# src/test/java/org/pcipass/bench/ClaimsBench.java does the claiming through FleetClaims.
#
# Usage: bench/fleet-claims.sh [HOSTS] [SECONDS]      (defaults 200 and 20)
# Needs Debian's postgresql (./test installs it); as root the server runs as the postgres user.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hosts="${1:-200}"
seconds="${2:-20}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$bin/postgres" ] || { echo "fleet-claims: PostgreSQL's server is not installed (apt-get install postgresql)" >&2; exit 1; }
"$here/pcipass" --version >/dev/null
classes="$here/bench/out/classes"
mkdir -p "$classes"
javac -nowarn -cp "$here/target/pcipass.jar" -d "$classes" "$here/src/test/java/org/pcipass/bench/ClaimsBench.java"

dir="$(mktemp -d /tmp/pcipass-bench-pg.XXXXXX)"
as=()
if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; as=(runuser -u postgres --); fi
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cleanup() { "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"${as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U pcipass -E UTF8 --no-instructions >/dev/null
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/log" \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start >/dev/null

echo "fleet-claims: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, $hosts hosts (42 devices each), ${seconds}s per run, $(nproc) CPUs"
for clients in ${CLIENTS:-1 8 64}; do
  db="claims$clients"
  "${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U pcipass "$db"
  java -Xmx1g -cp "$classes:$here/target/pcipass.jar" org.pcipass.bench.ClaimsBench \
    "postgresql://pcipass@127.0.0.1:$port/$db" "$hosts" "$clients" "$seconds"
done
