#!/usr/bin/env bash
# Starts a real Kubernetes control plane on loopback: etcd, kube-apiserver (TLS, RBAC,
# service-account token signing), kube-controller-manager, kube-scheduler, and kwok with a few
# fake nodes whose pods become Ready. Writes $GRAYRELEASE_STATE/kubeconfig (cluster admin).
# Idempotent: when everything already runs and answers /readyz it returns at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/versions.env"

API_PORT=${KUBE_API_PORT:-16443}
ETCD_PORT=${ETCD_PORT:-23790}
NODES=${KWOK_NODES:-3}
pki=$GRAYRELEASE_STATE/pki
kubeconfig=$GRAYRELEASE_STATE/kubeconfig
server=https://127.0.0.1:$API_PORT
start=$(date +%s)
log() { printf '[cluster %3ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }

for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok kubectl; do
  [ -x "$BIN/$b" ] || { echo "missing $BIN/$b: run 'make build' (hack/cluster/build.sh) first" >&2; exit 1; }
done

readyz() { curl -sf --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$server/readyz" ; }
all_running() {
  for p in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do is_running "$p" || return 1; done
}
if all_running && readyz >/dev/null 2>&1; then
  log "already up ($server, KUBECONFIG=$kubeconfig)"
  exit 0
fi

# --- certificates: one CA; server cert for the API server; client certs per component.
mkdir -p "$pki"
if [ ! -s "$pki/ca.crt" ]; then
  log "generating certificates"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=grayrelease-local-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  issue() { # name subject [san]
    local ext="$pki/$1.ext"
    printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n' > "$ext"
    if [ -n "${3:-}" ]; then printf 'extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' "$3" >> "$ext"
    else printf 'extendedKeyUsage=clientAuth\n' >> "$ext"; fi
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null
    openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
      -days 3650 -extfile "$ext" -out "$pki/$1.crt" 2>/dev/null
    rm -f "$pki/$1.csr" "$ext"
  }
  issue apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  issue admin "/O=system:masters/CN=grayrelease-admin"
  issue controller-manager "/CN=system:kube-controller-manager"
  issue scheduler "/CN=system:kube-scheduler"
  issue kwok "/O=system:masters/CN=kwok-controller"
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
fi

write_kubeconfig() { # file user
  cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: grayrelease-local
  cluster: {server: "$server", certificate-authority: "$pki/ca.crt"}
users:
- name: $2
  user: {client-certificate: "$pki/$2.crt", client-key: "$pki/$2.key"}
contexts:
- name: grayrelease-local
  context: {cluster: grayrelease-local, user: $2}
current-context: grayrelease-local
KC
}
write_kubeconfig "$kubeconfig" admin
write_kubeconfig "$pki/controller-manager.kubeconfig" controller-manager
write_kubeconfig "$pki/scheduler.kubeconfig" scheduler
write_kubeconfig "$pki/kwok.kubeconfig" kwok

# --- etcd
start_daemon etcd "$BIN/etcd" --name=grayrelease --data-dir="$GRAYRELEASE_STATE/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls="http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-cluster="grayrelease=http://127.0.0.1:$((ETCD_PORT + 1))" \
  --listen-metrics-urls="http://127.0.0.1:$((ETCD_PORT + 2))" \
  --quota-backend-bytes=2147483648 --log-level=warn
wait_for "etcd" 30 curl -sf "http://127.0.0.1:$((ETCD_PORT + 2))/health"
log "etcd up"

# --- kube-apiserver
start_daemon kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --authorization-mode=Node,RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --api-audiences=https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range=10.96.0.0/16 \
  --enable-priority-and-fairness=false \
  --disable-admission-plugins=TaintNodesByCondition \
  --profiling=false --v=1
wait_for "kube-apiserver /readyz" 120 readyz
log "kube-apiserver ready at $server"

# --- controller-manager and scheduler (single instance: no leader election). The node lifecycle
# controller is off: kwok's nodes have no kubelet whose heartbeats it could judge, and under load
# it would mark every pod not ready. For the same reason the API server does not taint new nodes
# not-ready (TaintNodesByCondition): nothing would take the taint off again.
start_daemon kube-controller-manager "$BIN/kube-controller-manager" \
  --kubeconfig="$pki/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$pki/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$pki/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=0 --leader-elect=false \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --use-service-account-credentials=true \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
  --controllers='*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller' \
  --kube-api-qps=200 --kube-api-burst=400 --concurrent-deployment-syncs=10 --concurrent-replicaset-syncs=10 \
  --v=1
start_daemon kube-scheduler "$BIN/kube-scheduler" \
  --kubeconfig="$pki/scheduler.kubeconfig" \
  --authentication-kubeconfig="$pki/scheduler.kubeconfig" \
  --authorization-kubeconfig="$pki/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=0 --leader-elect=false --kube-api-qps=200 --kube-api-burst=400 --v=1

# --- kwok and its fake nodes
start_daemon kwok "$BIN/kwok" --kubeconfig="$pki/kwok.kubeconfig" \
  --config="$here/kwok-stages.yaml" \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --cidr=10.244.0.0/16 --node-ip=127.0.0.1 --server-address=127.0.0.1:0
kc() { "$BIN/kubectl" --kubeconfig="$kubeconfig" "$@"; }
for i in $(seq 1 "$NODES"); do
  kc apply -f - >/dev/null <<NODE
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64}
spec: {}
NODE
done
nodes_ready() { [ "$(kc get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)" -ge "$NODES" ]; }
wait_for "$NODES kwok nodes Ready" 60 nodes_ready
wait_for "default ServiceAccount" 60 kc get serviceaccount default -n default
log "control plane up: $NODES nodes; export KUBECONFIG=$kubeconfig"
