#!/usr/bin/env bash
# Benchmark of growing and shrinking a live installation (figures in docs/benchmarks.md).
#
# The installation is benches/shared-observability-4.yaml without Observe (control and
# workflow on cp, data planes on dp1 and dp2, an observability plane on obs); then Observe is
# added on obs, which installs its releases there, a collector on every served plane, and
# re-registers the served planes with observabilityPlaneRef. In one run, each contender on its
# own fresh sandbox (same clusters, same stand-in charts, same helm binary):
#   1. choreoctl module add observe --plane obs: wall time against the critical path of the
#      steps it ran (from its own step times), and helm revisions added to the releases that
#      were there before (the target is 0); then module remove observe;
#   2. choreoctl install of the edited profile (what a user of choreoctl without module add
#      would run);
#   3. helmfile sync of choreoctl's helmfile export of the edited profile, over the export of
#      the first one (what a helmfile user runs).
#
#   benches/module.sh
#
# Prints one "name: value" line per figure on stdout; progress on stderr. Needs: cargo, go,
# python3 with PyYAML.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

cargo build --release --quiet
choreoctl=$root/target/release/choreoctl
bin=$(tests/sandbox/build.sh)
helm=$bin/helm helmfile=$bin/helmfile
[ -x "$helmfile" ] || { echo "the sandbox build has no helmfile ($helmfile)" >&2; exit 1; }
work=$(mktemp -d)
sandboxes=()
cleanup() {
  for name in "${sandboxes[@]}"; do tests/sandbox/sandbox down --name "$name" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

now() { python3 -c 'import time; print(time.time())'; }
secs() { python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.1f}")' "$1"; }
ratio() { python3 -c 'import sys; print(f"{float(sys.argv[1])/float(sys.argv[2]):.2f}")' "$1" "$2"; }
log() { printf 'bench: %s\n' "$*" >&2; }

# fresh NAME: a sandbox of its own (cp,dp1,dp2,obs); sets KUBECONFIG, mirrors and PATH for it.
fresh() {
  local name=bench-$1-$$
  sandboxes+=("$name")
  log "sandbox $name"
  tests/sandbox/sandbox up --name "$name" --clusters cp,dp1,dp2,obs --nodes 2 >&2
  eval "$(tests/sandbox/sandbox env --name "$name")"
  sleep 10 # let the control planes settle before timing anything
}
down() { tests/sandbox/sandbox down --name "${sandboxes[-1]}" >/dev/null 2>&1 || true; }

# profile OUT [observe]: the benchmark's profile with the current sandbox's mirrors, with
# Observe on obs when asked.
profile() {
  { sed '/^  modules:/,$d' benches/shared-observability-4.yaml
    printf '  modules:\n    - name: build\n'
    [ "${2:-}" = observe ] && printf '    - name: observe\n      plane: obs\n'
    printf '  charts: {mirror: "%s", plainHttp: true}\n' "$CHOREOCTL_SANDBOX_MIRROR"
    printf '  manifests: {mirror: "%s", plainHttp: true}\n' "$CHOREOCTL_SANDBOX_MANIFESTS"
  } > "$1"
}

# revisions: "context namespace/name revision" of every release on the current sandbox.
revisions() {
  local context
  for context in cp dp1 dp2 obs; do
    "$helm" list -A -a -o json --kube-context "$context" |
      python3 -c 'import json,sys; [print(sys.argv[1], r["namespace"]+"/"+r["name"], r["revision"]) for r in json.load(sys.stdin)]' "$context"
  done | sort
}

# upgraded BEFORE AFTER: revisions added to the releases listed in BEFORE.
upgraded() {
  python3 - "$1" "$2" <<'PY'
import sys
def read(path):
    return {tuple(line.split()[:2]): int(line.split()[2]) for line in open(path) if line.strip()}
before, after = read(sys.argv[1]), read(sys.argv[2])
print(sum(after.get(key, rev) - rev for key, rev in before.items()))
PY
}

critical() { sed -n 's/.*critical path \([0-9.]*\) s.*/\1/p' "$1" | tail -1; }

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB RAM, load $(cut -d' ' -f1 /proc/loadavg)"
echo "helm: $("$helm" version --template '{{.Version}}'), helmfile: $("$helmfile" --version 2>/dev/null | head -1)"

# 1. module add / module remove
fresh module
profile "$work/lab.yaml"
"$choreoctl" install -p "$work/lab.yaml" --yes --helm "$helm" 2> "$work/base.log"
revisions > "$work/before"
t=$(now)
"$choreoctl" module add observe --plane obs -p "$work/lab.yaml" --yes --helm "$helm" 2> "$work/add.log"
add_s=$(secs "$t")
revisions > "$work/after"
add_critical=$(critical "$work/add.log")
added=$(( $(wc -l < "$work/after") - $(wc -l < "$work/before") ))
echo "choreoctl module add observe: $add_s s ($added releases added; critical path of the steps it ran: $add_critical s, ratio $(ratio "$add_s" "$add_critical")); helm revisions added to the $(wc -l < "$work/before") releases already there: $(upgraded "$work/before" "$work/after")"
t=$(now)
"$choreoctl" module remove observe -p "$work/lab.yaml" --yes --helm "$helm" 2> "$work/remove.log"
remove_s=$(secs "$t")
revisions > "$work/removed"
echo "choreoctl module remove observe: $remove_s s ($(( $(wc -l < "$work/after") - $(wc -l < "$work/removed") )) releases removed); helm revisions added to the releases kept: $(upgraded "$work/before" "$work/removed")"
down

# 2. choreoctl install of the edited profile
fresh install
profile "$work/base.yaml"
"$choreoctl" install -p "$work/base.yaml" --yes --helm "$helm" 2> "$work/install-base.log"
revisions > "$work/before"
profile "$work/edited.yaml" observe
t=$(now)
"$choreoctl" install -p "$work/edited.yaml" --yes --helm "$helm" 2> "$work/install-edited.log"
install_s=$(secs "$t")
revisions > "$work/after"
echo "choreoctl install of the edited profile: $install_s s; helm revisions added to the releases already there: $(upgraded "$work/before" "$work/after")"
echo "module add vs install of the edited profile: $(ratio "$install_s" "$add_s")x"
down

# 3. helmfile sync of the edited export
fresh helmfile
profile "$work/hf-base.yaml"
profile "$work/hf-edited.yaml" observe
"$choreoctl" render -p "$work/hf-base.yaml" --format helmfile --out "$work/hf-base" >&2
"$choreoctl" render -p "$work/hf-edited.yaml" --format helmfile --out "$work/hf-edited" >&2
if (cd "$work/hf-base" && "$helmfile" --helm-binary "$helm" sync >"$work/hf-base.log" 2>&1); then
  revisions > "$work/before"
  t=$(now)
  if (cd "$work/hf-edited" && "$helmfile" --helm-binary "$helm" sync >"$work/hf-edited.log" 2>&1); then
    helmfile_s=$(secs "$t")
    revisions > "$work/after"
    echo "helmfile sync of the edited export: $helmfile_s s; helm revisions added to the releases already there: $(upgraded "$work/before" "$work/after")"
    echo "module add vs helmfile sync: $(ratio "$helmfile_s" "$add_s")x faster"
  else
    echo "helmfile sync of the edited export FAILED after $(secs "$t") s: $(grep -m1 'Error:' "$work/hf-edited.log" | sed 's/^ *//')"
  fi
else
  echo "helmfile sync of the first export FAILED: $(grep -m1 'Error:' "$work/hf-base.log" | sed 's/^ *//')"
fi
down
