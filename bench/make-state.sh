#!/usr/bin/env bash
# Puts a pcipass state dir for a generated tree: the store (STATE/pcipass.db) holding COUNT
# assignments and the owners file (STATE/owners) that `list` reads, made by
# src/test/java/org/pcipass/bench/BenchState.java through the product's Store API.
#
# Usage: bench/make-state.sh SYSFS STATE [COUNT]     (COUNT default 100; STATE absent or empty)
#
# Builds the jar first when needed (./pcipass --version) and compiles BenchState alone against it
# into bench/out/classes (javac, no Maven: a second or two).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 2 ] && [ $# -le 3 ] || { echo "usage: bench/make-state.sh SYSFS STATE [COUNT]" >&2; exit 2; }
sysfs="$(cd "$1" && pwd)"
state="$2"
count="${3:-100}"
"$here/pcipass" --version >/dev/null
classes="$here/bench/out/classes"
mkdir -p "$classes"
javac -nowarn -cp "$here/target/pcipass.jar" -d "$classes" "$here/src/test/java/org/pcipass/bench/BenchState.java"
java -cp "$classes:$here/target/pcipass.jar" org.pcipass.bench.BenchState "$state" "$sysfs" "$count"
