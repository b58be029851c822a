#!/usr/bin/env bash
# `make demo`: a real control plane, a real Prometheus, the operator and the traffic simulator;
# then a good release that goes to 100% and a bad one that is rolled back, watched live.
set -euo pipefail
cd "$(dirname "$0")/../.."
. hack/lib.sh
. hack/cluster/versions.env
export KUBECONFIG=$GRAYRELEASE_STATE/kubeconfig PATH="$BIN:$PWD/.venv/bin:$PATH"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "control plane and Prometheus"
bash hack/cluster/up.sh
bash hack/prometheus/up.sh
kubectl apply --server-side --force-conflicts -f crds/ >/dev/null
kubectl apply --server-side --force-conflicts -f "$GRAYRELEASE_CACHE/gateway-api/$GATEWAY_API_VERSION/standard-install.yaml" >/dev/null
kubectl wait --for=condition=Established --timeout=60s crd/grayreleases.grayrelease.io crd/httproutes.gateway.networking.k8s.io >/dev/null

say "operator and traffic simulator (logs: $LOGS)"
start_daemon operator "$PWD/.venv/bin/grayrelease" run --namespace=demo --liveness=http://127.0.0.1:18081/healthz
start_daemon simulator "$PWD/.venv/bin/python" hack/demo/simulator.py --namespace=demo --rps 400 \
  --targets-file "$GRAYRELEASE_STATE/prometheus/targets/simulator.json"
kubectl delete namespace demo --ignore-not-found --timeout=120s >/dev/null  # every demo starts from scratch
kubectl create namespace demo >/dev/null

release() { # image error-ratio latency-ms
  sed -e "s|example.com/checkout:1.0.0|example.com/checkout:$1|" \
      -e "s|error-ratio: \"0.002\"|error-ratio: \"$2\"|" \
      -e "s|latency-ms: \"80\"|latency-ms: \"$3\"|" hack/demo/checkout.yaml | kubectl apply -f - >/dev/null
}

say "install checkout 1.0.0 (the first revision becomes stable at once)"
release 1.0.0 0.002 80
kubectl gray status checkout -n demo --timeout 2m

say "release checkout 1.1.0: healthy, goes step by step to 100%"
release 1.1.0 0.002 82
sleep 1
kubectl gray get checkout -n demo --watch --until-done || true

say "the statistical judge, offline, on what that release recorded (kubectl gray replay)"
kubectl gray replay checkout -n demo || true
say "the same, over the release's whole window: its own queries again in Prometheus (kubectl gray replay --prometheus)"
kubectl gray replay checkout -n demo --prometheus || true

say "release checkout 1.2.0: 15% of its requests fail; the analysis rolls it back"
release 1.2.0 0.15 85
sleep 1
kubectl gray get checkout -n demo --watch --until-done || true

say "what happened"
kubectl get grayrelease checkout -n demo
kubectl get events -n demo --field-selector involvedObject.kind=GrayRelease --sort-by=.lastTimestamp \
  -o custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message | tail -n 20
cat <<MSG

Everything is still running, try it yourself:
  export KUBECONFIG=$KUBECONFIG PATH=$BIN:$PWD/.venv/bin:\$PATH
  kubectl gray get checkout -n demo             # the release as a tree
  kubectl gray set image checkout -n demo checkout=example.com/checkout:1.3.0
  kubectl gray get checkout -n demo --watch
  Prometheus: http://127.0.0.1:${PROMETHEUS_PORT:-19090}
Stop it all with: make demo-down
MSG
