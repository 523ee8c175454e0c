#!/usr/bin/env bash
# Make sure commands (or files) from Debian packages are present: debian-packages.sh COMMAND=PACKAGE ...
# (a COMMAND starting with / is a file that must exist, e.g. an nginx module)
# Installs the missing ones when we may (root with apt-get, as on CI); otherwise stops and prints
# the exact command to run.
set -euo pipefail
missing=()
for pair in "$@"; do
  command="${pair%%=*}" package="${pair#*=}"
  if [[ "$command" == /* ]]; then [ -e "$command" ] || missing+=("$package"); continue; fi
  command -v "$command" >/dev/null || [ -x "/usr/sbin/$command" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages. Run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
