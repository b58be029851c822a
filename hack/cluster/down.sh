#!/usr/bin/env bash
# Stops the control plane processes hack/cluster/up.sh started (by pid file only).
# Pass --purge to also delete etcd's data and the certificates for a clean next start.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
for p in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_daemon "$p"; done
if [ "${1:-}" = "--purge" ]; then rm -rf "$GRAYRELEASE_STATE/etcd" "$GRAYRELEASE_STATE/pki" "$GRAYRELEASE_STATE/kubeconfig"; fi
echo "control plane stopped"
