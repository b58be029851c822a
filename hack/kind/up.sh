#!/usr/bin/env bash
# `make kind-up`: creates a kind cluster with the Gateway API CRDs, for users who have Docker.
# Untested in this project's CI, which has no container engine; the tests use hack/cluster.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../cluster/versions.env"
command -v kind >/dev/null || { echo "kind is not installed: see https://kind.sigs.k8s.io" >&2; exit 1; }
kind get clusters 2>/dev/null | grep -qx grayrelease || kind create cluster --config "$here/cluster.yaml"
bash "$here/../cluster/build.sh" >/dev/null  # for the Gateway API CRDs and a matching kubectl
"$BIN/kubectl" --context kind-grayrelease apply --server-side -f "$GRAYRELEASE_CACHE/gateway-api/$GATEWAY_API_VERSION/standard-install.yaml"
echo "kind cluster ready: kubectl --context kind-grayrelease get nodes"
