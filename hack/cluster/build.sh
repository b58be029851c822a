#!/usr/bin/env bash
# Builds the local control plane's binaries from the versions pinned in versions.env:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, helm.
# Binaries land in $GRAYRELEASE_CACHE/bin (default ~/.cache/grayrelease/bin, outside the
# work tree). A binary is rebuilt only when its stamp (pinned version + wrapper go.sum) changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
. "$here/versions.env"
cache=${GRAYRELEASE_CACHE:-$HOME/.cache/grayrelease}
bin=$cache/bin
stamps=$cache/stamps
mkdir -p "$bin" "$stamps"
export CGO_ENABLED=0

start=$(date +%s)
log() { printf '[build %4ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }

stamp_of() { # name, version, [go.sum] -> one line that changes when the pinned inputs change
  local sum=""
  [ -n "${3:-}" ] && sum=$(sha256sum "$3" | cut -c1-16)
  echo "$1 $2 $sum $(go env GOVERSION)"
}
fresh() { # name stamp -> 0 when the binary exists and was built from the same stamp
  [ -x "$bin/$1" ] && [ "$(cat "$stamps/$1" 2>/dev/null)" = "$2" ]
}
record() { echo "$2" > "$stamps/$1"; }

built=0
# --- Kubernetes: one go build for four commands, so shared packages compile once.
kube_stamp=$(stamp_of kube "$KUBERNETES_VERSION" "$here/kube/go.sum")
if fresh kube-apiserver "$kube_stamp" && fresh kube-controller-manager "$kube_stamp" \
  && fresh kube-scheduler "$kube_stamp" && fresh kubectl "$kube_stamp"; then
  log "kubernetes $KUBERNETES_VERSION: cached"
else
  log "kubernetes $KUBERNETES_VERSION: building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (cold: about 5 minutes on 2 cores)"
  minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  (cd "$here/kube" && go build -trimpath -ldflags "$ldflags" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do record "$b" "$kube_stamp"; done
  built=1
  log "kubernetes: done"
fi

# --- etcd: a wrapper module around go.etcd.io/etcd/server/v3's etcdmain.
etcd_stamp=$(stamp_of etcd "$ETCD_VERSION" "$here/etcd/go.sum")
if fresh etcd "$etcd_stamp"; then
  log "etcd $ETCD_VERSION: cached"
else
  log "etcd $ETCD_VERSION: building"
  (cd "$here/etcd" && go build -trimpath -ldflags "-s -w" -o "$bin/etcd" .)
  record etcd "$etcd_stamp"; built=1
  log "etcd: done"
fi

# --- kwok and helm publish plain modules: go install at the pinned version.
install_pinned() { # name module/cmd version
  local st; st=$(stamp_of "$1" "$3")
  if fresh "$1" "$st"; then log "$1 $3: cached"; return; fi
  log "$1 $3: building"
  GOBIN="$bin" GOFLAGS=-mod=mod go install -trimpath -ldflags "-s -w" "$2@$3"
  record "$1" "$st"; built=1
  log "$1: done"
}
install_pinned kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION"
install_pinned helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"

# --- Gateway API CRDs ship inside their Go module; copy the standard channel.
gw_dir=$cache/gateway-api/$GATEWAY_API_VERSION
if [ ! -s "$gw_dir/standard-install.yaml" ]; then
  src=$(cd "$here/kube" && go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  mkdir -p "$gw_dir"
  for f in "$src"/config/crd/standard/*.yaml; do cat "$f"; echo "---"; done > "$gw_dir/standard-install.yaml"
  log "gateway-api $GATEWAY_API_VERSION CRDs: copied"
fi

log "all binaries ready in $bin (built now: $built, total $(( $(date +%s) - start ))s)"
