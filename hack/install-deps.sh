#!/usr/bin/env bash
# Installs the system packages the tests and the demo need, from Debian's archive:
# Prometheus (the real server, started on loopback by hack/prometheus/up.sh) and openssl
# (certificates of the local control plane). Idempotent; does nothing when all are present.
set -euo pipefail
need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v openssl >/dev/null || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
echo "installing ${need[*]} from Debian's packages"
# Keep the packages' init scripts from starting system-wide services: our scripts start
# Prometheus themselves, on loopback, with their own configuration.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && created_policy=1
fi
trap '[ $created_policy = 1 ] && $sudo rm -f "$policy"' EXIT
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
