#!/usr/bin/env bash
# Records packaging/ferry.classlist: the classes (and lambda forms) one `ferry demo` migration
# loads, for the class-data archive the ./ferry launcher builds from it. Run it again after a
# change that loads many new classes on a migration's path; a stale list still works (classes
# missing from it are loaded as usual), it only saves less.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/packaging/ferry.classlist"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
FERRY_JAVA_OPTS="-Xshare:off -XX:DumpLoadedClassList=$tmp" "$root/ferry" demo >/dev/null
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out ($(wc -l < "$out") entries)"
