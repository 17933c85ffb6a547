#!/usr/bin/env bash
# Reproduces the sandbox figures in docs/benchmarks.md (## Sandbox).
#
#   tests/sandbox/bench.sh           warm build (cache hit), up (3 clusters), RSS, check-charts, down
#   tests/sandbox/bench.sh --cold    also a cold build: empty GOCACHE, GOMODCACHE and sandbox cache
#                                    in a temporary directory (downloads every module; ~20-30 min)
#
# Prints one "name: value" line per figure on stdout; progress on stderr.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cold=false
[ "${1:-}" = --cold ] && cold=true
name=bench-$$

secs() { python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.1f}")' "$1"; }
now() { python3 -c 'import time; print(time.time())'; }

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB RAM, $(go version | cut -d' ' -f3)"

if [ "$cold" = true ]; then
  tmp=$(mktemp -d)
  trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
  t=$(now)
  GOCACHE=$tmp/gocache GOMODCACHE=$tmp/gomod CHOREOCTL_SANDBOX_CACHE=$tmp/cache "$here/build.sh" >/dev/null
  echo "cold build (empty GOCACHE, GOMODCACHE, sandbox cache): $(secs "$t") s"
  echo "cold build module cache: $(du -sh "$tmp/gomod" | cut -f1), build cache: $(du -sh "$tmp/gocache" | cut -f1)"
fi

t=$(now)
bin=$("$here/build.sh")
echo "warm build (cache hit): $(secs "$t") s"
echo "binaries: $(du -shL "$bin" | cut -f1) ($(du -shL "$bin/k8s" | cut -f1) busybox)"

trap '"$here/sandbox" down --name "$name" >/dev/null 2>&1 || true' EXIT
t=$(now)
"$here/sandbox" up --name "$name" --clusters cp,dp1,obs --nodes 2
echo "up, 3 clusters x 2 nodes (incl. pushing 25 charts): $(secs "$t") s"
t=$(now)
"$here/sandbox" up --name "$name" --clusters cp,dp1,obs --nodes 2
echo "up again (idempotent, all running): $(secs "$t") s"

sleep 20 # let the control planes settle
home=${CHOREOCTL_SANDBOX_HOME:-$(cd "$here/../.." && pwd)/.sandbox}
dir=$home/$name
# mem_of MARKER: "RSS r MiB / PSS p MiB" summed over processes whose cmdline contains MARKER.
# RSS counts the shared busybox binary once per process; PSS splits shared pages (the real cost).
mem_of() {
  local rss=0 pss=0 p r q
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' 2>/dev/null < "$p/cmdline" | grep -qF -- "$1"; then
      r=$(awk '/^Rss:/{print $2}' "$p/smaps_rollup" 2>/dev/null || true)
      q=$(awk '/^Pss:/{print $2}' "$p/smaps_rollup" 2>/dev/null || true)
      rss=$((rss + ${r:-0})); pss=$((pss + ${q:-0}))
    fi
  done
  echo "RSS $((rss / 1024)) MiB / PSS $((pss / 1024)) MiB"
}
per_component() { # cluster-dir
  local c=$1 comp out=""
  for comp in etcd kube-apiserver kube-controller-manager kube-scheduler kwok-controller; do
    out+="$comp $(mem_of "$c/bin/$comp "); "
  done
  echo "${out%; }"
}
for c in cp dp1 obs; do
  echo "memory cluster $c (idle): $(mem_of "$dir/kwok/clusters/$c/") [$(per_component "$dir/kwok/clusters/$c")]"
done
echo "memory registry: $(mem_of "$dir/registry/"); manifest server: $(mem_of "$dir/manifests")"
echo "memory whole sandbox (idle): $(mem_of "$dir/")"

t=$(now)
"$here/check-charts.sh" --name "$name-charts" --keep >/dev/null
echo "check-charts (own 1-cluster sandbox, all 25 charts with --wait, incl. its up): $(secs "$t") s"
cdir=$home/$name-charts
sleep 10
echo "memory cluster with all 25 stand-ins installed: $(mem_of "$cdir/kwok/clusters/c1/") [$(per_component "$cdir/kwok/clusters/c1")]"
"$here/sandbox" down --name "$name-charts" >/dev/null

t=$(now)
"$here/sandbox" down --name "$name"
echo "down: $(secs "$t") s"
left=0
for p in /proc/[0-9]*; do
  if tr '\0' ' ' 2>/dev/null < "$p/cmdline" | grep -qF -- "$dir/"; then left=$((left + 1)); fi
done
echo "processes left after down: $left"
