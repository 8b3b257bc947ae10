#!/usr/bin/env bash
# Installs Debian packages when a command they provide is missing:
#
#   scripts/apt-ensure.sh COMMAND=PACKAGE...      e.g. scripts/apt-ensure.sh nginx=nginx faketime=faketime
#
# As root it runs apt-get (without starting any system service the package ships: nginx, for one, would
# otherwise start on port 80); otherwise it prints the command to run and fails.
set -euo pipefail
say() { echo "apt-ensure: $*" >&2; }

missing=()
for pair in "$@"; do
  cmd=${pair%%=*} pkg=${pair#*=}
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  say "missing Debian packages: ${missing[*]}. Install them once with:"
  say "  sudo apt-get install -y ${missing[*]}"
  exit 1
fi

say "installing Debian packages: ${missing[*]}"
# policy-rc.d answering 101 tells the packages' scripts not to start their services.
created_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { [ -z "$created_policy" ] || rm -f /usr/sbin/policy-rc.d; }
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
