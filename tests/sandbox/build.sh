#!/usr/bin/env bash
# Builds the sandbox binaries from Go modules into a cache OUTSIDE target/ and prints the bin
# directory on stdout (logs go to stderr). Cache (${CHOREOCTL_SANDBOX_CACHE:-$HOME/.cache/choreoctl-sandbox}):
#
#   tools/<tool>-<key>/   one entry per tool. <key> hashes only what builds that tool: its recipe
#                         below (module dir, packages, ldflags with the pinned version stamped,
#                         its versions.env variables), the common go build flags, and its module
#                         dir's go.mod, go.sum and Go sources. Bumping one tool rebuilds that tool.
#   <set>/bin             the bin dir: hard links to every tool's binaries. <set> hashes the tool
#                         keys and this script, so editing this script re-assembles the bin dir
#                         (instant) and never rebuilds a tool whose recipe did not change.
#
#   build.sh            build what is missing, print the bin dir
#   build.sh --print    print the bin dir, exit 1 if it is not built yet
#   build.sh --force    rebuild every tool even on a cache hit
#
# bin/ holds: k8s (busybox) + symlinks kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl, etcd; kwok, kwokctl, helm (v3), helm4, registry, helmfile.
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

# Every tool, in build order (largest first; one binary at a time: 2 cores, linker peak RAM).
tools=(k8s kwok helm helm4 registry helmfile)

# How every binary is built; part of every tool's key.
build_env=(CGO_ENABLED=0 GOFLAGS=-mod=readonly)
build_args=(-trimpath)
build_ldflags="-s -w"

minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
kver() { # -X flags for one Kubernetes version package
  printf -- '-X %s.gitVersion=%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitTreeState=clean -X %s.buildDate=1970-01-01T00:00:00Z ' \
    "$1" "$K8S_VERSION" "$1" "$1" "$minor" "$1" "$1"
}

# recipe TOOL: what builds TOOL, one line each, hashed into its key:
#   dir D                      its Go module (relative to tests/sandbox)
#   version VAR=value ...      its versions.env variables
#   bin NAME PACKAGE [LDFLAGS] a binary built from PACKAGE (LDFLAGS after "-s -w")
#   link NAME TARGET           a symlink NAME -> TARGET next to the binaries
recipe() {
  case $1 in
    k8s)
      echo "dir ."
      echo "version K8S_VERSION=$K8S_VERSION ETCD_VERSION=$ETCD_VERSION"
      echo "bin k8s ./cmd/k8s $(kver k8s.io/component-base/version)$(kver k8s.io/client-go/pkg/version)"
      for c in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd; do echo "link $c k8s"; done ;;
    kwok)
      echo "dir tools/kwok"
      echo "version KWOK_VERSION=$KWOK_VERSION"
      echo "bin kwok sigs.k8s.io/kwok/cmd/kwok"
      echo "bin kwokctl sigs.k8s.io/kwok/cmd/kwokctl" ;;
    helm)
      echo "dir tools/helm"
      echo "version HELM_VERSION=$HELM_VERSION"
      echo "bin helm helm.sh/helm/v3/cmd/helm -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v3/internal/version.gitTreeState=clean" ;;
    helm4)
      echo "dir tools/helm4"
      echo "version HELM4_VERSION=$HELM4_VERSION"
      echo "bin helm4 helm.sh/helm/v4/cmd/helm -X helm.sh/helm/v4/internal/version.version=${HELM4_VERSION} -X helm.sh/helm/v4/internal/version.gitTreeState=clean" ;;
    registry)
      echo "dir tools/registry"
      echo "version DISTRIBUTION_VERSION=$DISTRIBUTION_VERSION"
      echo "bin registry github.com/distribution/distribution/v3/cmd/registry" ;;
    helmfile)
      # Stamped like helmfile's release builds (.goreleaser.yml: the tag without its "v").
      echo "dir tools/helmfile"
      echo "version HELMFILE_VERSION=$HELMFILE_VERSION"
      echo "bin helmfile github.com/helmfile/helmfile -X go.szostok.io/version.version=${HELMFILE_VERSION#v} -X go.szostok.io/version.buildDate=1970-01-01T00:00:00Z -X go.szostok.io/version.dirtyBuild=false" ;;
    *) die "no recipe for tool $1" ;;
  esac
}

# check TOOL DIR: the built binaries report the pinned versions.
check() {
  local d=$2
  case $1 in
    k8s) "$d/kube-apiserver" --version | grep -qx "Kubernetes ${K8S_VERSION}" ||
      die "kube-apiserver does not report ${K8S_VERSION}" ;;
    helm) "$d/helm" version --template '{{.Version}}' | grep -qx "${HELM_VERSION}" ||
      die "helm does not report ${HELM_VERSION}" ;;
    helm4) "$d/helm4" version --template '{{.Version}}' | grep -qx "${HELM4_VERSION}" ||
      die "helm4 does not report ${HELM4_VERSION}" ;;
    helmfile) "$d/helmfile" --version | grep -qw "${HELMFILE_VERSION#v}" ||
      die "helmfile does not report ${HELMFILE_VERSION#v}" ;;
    kwok|registry) ;;
  esac
}

# module_files DIR: the files of the Go module in DIR that a build reads (nested modules under
# tools/ are their own tools).
module_files() {
  (cd "$here/$1" && find . -path ./tools -prune -o \( -name go.mod -o -name go.sum -o -name '*.go' \) -print) |
    LC_ALL=C sort
}

tool_key() { # tool
  local dir f
  dir=$(recipe "$1" | sed -n 's/^dir //p')
  {
    printf 'tool %s\n' "$1"
    recipe "$1"
    printf 'build %s | %s | %s\n' "${build_env[*]}" "${build_args[*]}" "$build_ldflags"
    module_files "$dir" | while read -r f; do printf '%s\n' "$f"; sha256sum < "$here/$dir/$f"; done
  } | sha256sum | cut -c1-16
}

declare -A entry
set_input=""
for t in "${tools[@]}"; do
  entry[$t]=$cache_root/tools/$t-$(tool_key "$t")
  set_input+="${entry[$t]##*/}"$'\n'
done
set_key=$( { printf '%s' "$set_input"; sha256sum < "$here/build.sh"; } | sha256sum | cut -c1-16)
out=$cache_root/$set_key
bin=$out/bin

if [ "$mode" = --print ]; then
  [ -f "$out/.complete" ] || { log "not built yet: $bin (run $here/build.sh)"; echo "$bin"; exit 1; }
  echo "$bin"; exit 0
fi

mkdir -p "$cache_root/tools"
# One build at a time per cache (a test binary and a developer may race).
exec 9>"$cache_root/.lock"
if command -v flock >/dev/null; then flock 9; fi

if [ "$mode" != --force ] && [ -f "$out/.complete" ]; then
  log "cache hit: $bin"
  echo "$bin"; exit 0
fi

export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
tmp=""
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT

build_tool() { # tool: builds into tools/<tool>-<key>/ (via a temporary dir, moved in when checked)
  local t=$1 dest=${entry[$1]} dir="" kind name arg rest t0=$SECONDS
  tmp=$dest.tmp.$$
  rm -rf "$tmp"; mkdir -p "$tmp"
  while read -r kind name arg rest; do
    case $kind in
      dir) dir=$name ;;
      bin)
        local tb=$SECONDS
        log "building $name ($arg) ..."
        (cd "$here/$dir" && env "${build_env[@]}" go build "${build_args[@]}" \
          -ldflags "$build_ldflags $rest" -o "$tmp/$name" "$arg") || die "go build of $arg failed"
        log "built $name in $((SECONDS - tb))s" ;;
      link) ln -s "$arg" "$tmp/$name" ;;
    esac
  done < <(recipe "$t")
  check "$t" "$tmp"
  recipe "$t" > "$tmp/.recipe"
  rm -rf "$dest"; mv "$tmp" "$dest"; tmp=""
  touch "$dest/.complete"
  log "tool $t built in $((SECONDS - t0))s: $dest"
}

t_all=$SECONDS
for t in "${tools[@]}"; do
  if [ "$mode" = --force ] || [ ! -f "${entry[$t]}/.complete" ]; then build_tool "$t"; fi
done

# Assemble the bin dir: hard links to the tools' binaries, their symlinks as they are.
tmp=$out.tmp.$$
rm -rf "$tmp"; mkdir -p "$tmp/bin"
for t in "${tools[@]}"; do
  for f in "${entry[$t]}"/*; do
    name=${f##*/}
    [ ! -e "$tmp/bin/$name" ] && [ ! -L "$tmp/bin/$name" ] || die "two tools build $name"
    if [ -L "$f" ]; then ln -s "$(readlink "$f")" "$tmp/bin/$name"
    else ln "$f" "$tmp/bin/$name" 2>/dev/null || cp -p "$f" "$tmp/bin/$name"; fi
  done
  printf '%s\n' "${entry[$t]##*/}" >> "$tmp/tools"
done
cp "$here/versions.env" "$tmp/versions.env"
rm -rf "$out"; mv "$tmp" "$out"; tmp=""
touch "$out/.complete"
log "done in $((SECONDS - t_all))s: $bin"
echo "$bin"
