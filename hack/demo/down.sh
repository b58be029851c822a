#!/usr/bin/env bash
# `make demo-down`: stops the demo's operator and simulator, Prometheus and the control plane.
set -euo pipefail
cd "$(dirname "$0")/../.."
. hack/lib.sh
stop_daemon simulator
stop_daemon operator
rm -f "$GRAYRELEASE_STATE/prometheus/targets/simulator.json"
bash hack/prometheus/down.sh
bash hack/cluster/down.sh
