#!/usr/bin/env bash
# Stops the Prometheus that hack/prometheus/up.sh started (by its pid file only).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stop_daemon prometheus
echo "prometheus stopped"
