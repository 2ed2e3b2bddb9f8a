#!/usr/bin/env bash
# Installs the Debian packages converge's tests and demo use when missing: a real etcd server
# (etcd-server), iproute2, and Chromium for the dashboard tests. Arguments name the packages to
# check (the demo needs only etcd-server); without any, all three.
# As root with apt it installs them; otherwise it stops with the exact command to run.
set -euo pipefail
wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=(etcd-server iproute2 chromium)
missing=()
for package in "${wanted[@]}"; do
  case "$package" in
    etcd-server) command -v etcd >/dev/null 2>&1 || missing+=(etcd-server) ;;
    iproute2) command -v ip >/dev/null 2>&1 || missing+=(iproute2) ;;
    chromium) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
    *) echo "ensure-system-deps: unknown package $package" >&2; exit 2 ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]}..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "converge needs: ${missing[*]}. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
