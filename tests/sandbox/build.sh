#!/usr/bin/env bash
# Builds the sandbox binaries from Go modules into a content-addressed cache
# OUTSIDE target/ and prints the bin directory on stdout (logs go to stderr):
#
#   ${CHOREOCTL_SANDBOX_CACHE:-$HOME/.cache/choreoctl-sandbox}/<key>/bin
#
# <key> hashes versions.env, every go.mod/go.sum, the Go sources and this
# script, so a version bump rebuilds and an unchanged tree is a cache hit.
#
#   build.sh            build if needed, print the bin dir
#   build.sh --print    print the bin dir, exit 1 if it is not built yet
#   build.sh --force    rebuild even on a cache hit
#
# bin/ holds: k8s (busybox) + symlinks kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, etcd; kwok, kwokctl, helm, registry.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mode=${1:-build}
case "$mode" in build|--print|--force) ;; *) echo "usage: $0 [--print|--force]" >&2; exit 2;; esac

# shellcheck source=versions.env
. "$here/versions.env"

log() { printf 'sandbox-build: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
command -v go >/dev/null || die "go is not on PATH (need Go >= 1.26)"

cache_root=${CHOREOCTL_SANDBOX_CACHE:-$HOME/.cache/choreoctl-sandbox}
key=$(
  cd "$here"
  { printf '%s\n' versions.env build.sh
    find . -name go.mod -o -name go.sum -o -name '*.go' | sed 's|^\./||'
  } | LC_ALL=C sort -u | while read -r f; do printf '%s\n' "$f"; sha256sum < "$f"; done |
  sha256sum | cut -c1-16
)
out=$cache_root/$key
bin=$out/bin

if [ "$mode" = --print ]; then
  [ -f "$out/.complete" ] || { log "not built yet: $bin (run $here/build.sh)"; echo "$bin"; exit 1; }
  echo "$bin"; exit 0
fi

mkdir -p "$cache_root"
# One build at a time per cache (a test binary and a developer may race).
exec 9>"$cache_root/.lock"
if command -v flock >/dev/null; then flock 9; fi

if [ "$mode" != --force ] && [ -f "$out/.complete" ]; then
  log "cache hit: $bin"
  echo "$bin"; exit 0
fi

export CGO_ENABLED=0 GOFLAGS=-mod=readonly GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
tmp=$out.tmp.$$
rm -rf "$tmp"; mkdir -p "$tmp/bin"
trap 'rm -rf "$tmp"' EXIT

minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
kver() { # -X flags for one version package
  printf -- '-X %s.gitVersion=%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitTreeState=clean -X %s.buildDate=1970-01-01T00:00:00Z ' \
    "$1" "$K8S_VERSION" "$1" "$1" "$minor" "$1" "$1"
}

gobuild() { # dir output pkg [extra ldflags]
  local dir=$1 o=$2 pkg=$3 ld=${4:-} t0=$SECONDS
  log "building $o ($pkg) ..."
  (cd "$here/$dir" && go build -trimpath -ldflags "-s -w $ld" -o "$tmp/bin/$o" "$pkg") ||
    die "go build of $pkg failed"
  log "built $o in $((SECONDS - t0))s"
}

t_all=$SECONDS
# Largest first; one binary at a time (2 cores, linker peak RAM).
gobuild . k8s ./cmd/k8s "$(kver k8s.io/component-base/version)$(kver k8s.io/client-go/pkg/version)"
for c in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd; do ln -s k8s "$tmp/bin/$c"; done
gobuild tools/kwok kwok sigs.k8s.io/kwok/cmd/kwok
gobuild tools/kwok kwokctl sigs.k8s.io/kwok/cmd/kwokctl
gobuild tools/helm helm helm.sh/helm/v3/cmd/helm "-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
gobuild tools/registry registry github.com/distribution/distribution/v3/cmd/registry

# Sanity: the stamped versions are the pinned ones.
"$tmp/bin/kube-apiserver" --version | grep -qx "Kubernetes ${K8S_VERSION}" || die "kube-apiserver does not report ${K8S_VERSION}"
"$tmp/bin/helm" version --template '{{.Version}}' | grep -qx "${HELM_VERSION}" || die "helm does not report ${HELM_VERSION}"

cp "$here/versions.env" "$tmp/versions.env"
rm -rf "$out"; mv "$tmp" "$out"; trap - EXIT
touch "$out/.complete"
log "done in $((SECONDS - t_all))s: $bin"
echo "$bin"
