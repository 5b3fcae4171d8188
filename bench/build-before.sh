#!/usr/bin/env bash
# Builds the jar of an earlier commit, for timing it against this checkout's (vs-lspci.sh BEFORE_JAR):
# a temporary `git worktree` under $TMPDIR (removed afterwards), `mvn -o package` without tests.
#
# Usage: bench/build-before.sh COMMIT      e.g. bench/build-before.sh 3361f87
# Prints the jar's path: bench/out/pcipass-COMMIT.jar (an existing one is reused).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -eq 1 ] || { echo "usage: bench/build-before.sh COMMIT" >&2; exit 2; }
commit="$(git -C "$here" rev-parse --short=7 "$1^{commit}")" \
  || { echo "build-before: $1 is not a commit of this repository" >&2; exit 2; }
out="$here/bench/out/pcipass-$commit.jar"
if [ -f "$out" ]; then echo "$out"; exit 0; fi
mkdir -p "$here/bench/out"
wt="$(mktemp -d "${TMPDIR:-/tmp}/pcipass-before.XXXXXX")"
cleanup() { git -C "$here" worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"; git -C "$here" worktree prune; }
trap cleanup EXIT
git -C "$here" worktree add --detach "$wt" "$commit" >&2
(cd "$wt" && MAVEN_OPTS="${MAVEN_OPTS:-} -Djansi.noreset=true" mvn -o -q -B -Dmaven.test.skip=true package) >&2
cp "$wt/target/pcipass.jar" "$out"
echo "$out"
