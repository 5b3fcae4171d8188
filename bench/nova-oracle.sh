#!/usr/bin/env bash
# The Nova oracle (issue 13, acceptance c): runs bench/nova_oracle.py with Debian's /usr/bin/python3
# and Debian's python3-nova (2:26.2.2, bookworm), which it installs with apt when it is missing and
# the script runs as root (≈300 MB with --no-install-recommends; no service is installed or started).
#
# Usage: bench/nova-oracle.sh generate --hosts N --requests R --seed S --profile mixed|numa|sriov|bench
#                                      --out-fleet F --out-requests F [--devices-per-host M]
#        bench/nova-oracle.sh place --fleet F --requests F [--out F] [--no-numa] [--progress N]
#
# `place` prints one JSON line on stdout; Nova's warnings and the progress go to stderr.
# Not the `python3` on PATH: a pyenv Python there does not see Debian's dist-packages.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py=/usr/bin/python3

if ! "$py" -c 'import nova.pci.stats' >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "nova-oracle: installing Debian's python3-nova (apt-get, --no-install-recommends)..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-nova >&2
    "$py" -c 'import nova.pci.stats' >/dev/null 2>&1 || {
      echo "nova-oracle: python3-nova installed but 'import nova.pci.stats' still fails" >&2; exit 1; }
  else
    echo "nova-oracle: $py cannot import nova.pci.stats; install Debian's python3-nova" \
         "(as root: apt-get install --no-install-recommends python3-nova) or run this as root" >&2
    exit 1
  fi
fi
echo "nova-oracle: $(dpkg-query -W -f='${Package} ${Version}' python3-nova 2>/dev/null || echo 'python3-nova ?')" >&2
exec "$py" "$here/nova_oracle.py" "$@"
