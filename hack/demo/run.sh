#!/usr/bin/env bash
# `make demo`: brings up the local control plane and Prometheus, then shows how to use them.
set -euo pipefail
cd "$(dirname "$0")/../.."
. hack/lib.sh
bash hack/cluster/up.sh
bash hack/prometheus/up.sh
cat <<MSG

The local control plane and Prometheus are running.
  export KUBECONFIG=$GRAYRELEASE_STATE/kubeconfig PATH=$BIN:\$PATH
  kubectl get nodes
  Prometheus: http://127.0.0.1:${PROMETHEUS_PORT:-19090}
Stop them with: make cluster-down prometheus-down
MSG
