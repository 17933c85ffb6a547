#!/usr/bin/env bash
# Benchmark of `choreoctl install` on the sandbox (figures in docs/benchmarks.md).
#
# In one run, each contender on its own fresh sandbox (same clusters, same stand-in charts from
# the loopback registry, same helm binary), installing the same plan:
#   1. choreoctl install, then the same command again (nothing changed);
#   2. a sequential script: every step of the same plan one after another with plain helm and
#      kubectl (benches/sequential.py; the way OpenChoreo's quick-start script installs);
#   3. helmfile sync of choreoctl's helmfile export of the same profile, then sync again;
#   4. scale: choreoctl install of a control plane plus 1, 2, 4 and 8 data planes (one cluster
#      each), and choreoctl's peak RSS during the 8-plane run (GNU time).
# The main profile is shared-observability over 4 contexts: control and workflow on cp, data
# planes on dp1 and dp2, observability on obs (benches/shared-observability-4.yaml).
#
#   benches/install.sh [--skip-scale]
#
# Prints one "name: value" line per figure on stdout; progress on stderr. Needs: cargo, go,
# python3 with PyYAML, GNU time (Debian package `time`).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scale=true
[ "${1:-}" = --skip-scale ] && scale=false
[ -x /usr/bin/time ] || { echo "missing GNU time: apt-get install time" >&2; exit 1; }

cargo build --release --quiet
choreoctl=$root/target/release/choreoctl
bin=$(tests/sandbox/build.sh)
helm=$bin/helm kubectl=$bin/kubectl helmfile=$bin/helmfile
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
# busy: the machine's busy and total CPU jiffies so far (/proc/stat, every core).
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
# utilisation BEFORE AFTER: percent of all cores busy between two `busy` readings.
utilisation() { python3 -c 'import sys; b0,t0,b1,t1=map(float,sys.argv[1:]); print(f"{100*(b1-b0)/(t1-t0):.0f}")' $1 $2; }

# fresh NAME CLUSTERS: a sandbox of its own; sets KUBECONFIG, mirrors and PATH for it.
fresh() {
  local name=bench-$1-$$
  sandboxes+=("$name")
  log "sandbox $name ($2)"
  tests/sandbox/sandbox up --name "$name" --clusters "$2" --nodes 2 >&2
  eval "$(tests/sandbox/sandbox env --name "$name")"
  sleep 10 # let the control planes settle before timing anything
}
down() { tests/sandbox/sandbox down --name "${sandboxes[-1]}" >/dev/null 2>&1 || true; }

# profile SOURCE OUT: SOURCE with the current sandbox's chart and manifest mirrors.
profile() {
  { cat "$1"
    printf '  charts: {mirror: "%s", plainHttp: true}\n' "$CHOREOCTL_SANDBOX_MIRROR"
    printf '  manifests: {mirror: "%s", plainHttp: true}\n' "$CHOREOCTL_SANDBOX_MANIFESTS"
  } > "$2"
}

# helm_revisions: total of every release's revision on the current sandbox's contexts.
helm_revisions() {
  local total=0 context
  for context in $(kubectl config get-contexts -o name); do
    total=$((total + $("$helm" list -A -a -o json --kube-context "$context" |
      python3 -c 'import json,sys; print(sum(int(r["revision"]) for r in json.load(sys.stdin)))')))
  done
  echo "$total"
}

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB RAM, load $(cut -d' ' -f1 /proc/loadavg)"
echo "helm: $("$helm" version --template '{{.Version}}'), helmfile: $("$helmfile" --version 2>/dev/null | head -1)"
main=benches/shared-observability-4.yaml
clusters=cp,dp1,dp2,obs

# 1. choreoctl
fresh choreoctl "$clusters"
profile "$main" "$work/choreoctl.yaml"
steps=$("$choreoctl" plan -p "$work/choreoctl.yaml" -o json |
  python3 -c 'import json,sys; p=json.load(sys.stdin); print(len(p["steps"]), "steps,", sum(s["kind"]=="helm" for s in p["steps"]), "helm releases")')
echo "plan: $steps, 4 contexts"
t=$(now)
"$choreoctl" install -p "$work/choreoctl.yaml" --yes --helm "$helm" 2> "$work/choreoctl.log"
install_s=$(secs "$t")
critical=$(sed -n 's/.*critical path \([0-9.]*\) s.*/\1/p' "$work/choreoctl.log" | tail -1)
echo "choreoctl install: $install_s s (its critical path from its own step times: $critical s, ratio $(ratio "$install_s" "$critical"))"
before=$(helm_revisions)
t=$(now)
"$choreoctl" install -p "$work/choreoctl.yaml" --yes --helm "$helm" 2> "$work/noop.log"
noop_s=$(secs "$t")
echo "choreoctl no-op re-run: $noop_s s, helm revisions added: $(( $(helm_revisions) - before ))"
down

# 2. the sequential script
fresh sequential "$clusters"
profile "$main" "$work/sequential.yaml"
"$choreoctl" plan -p "$work/sequential.yaml" -o json > "$work/plan.json"
sequential_s=$(python3 benches/sequential.py "$work/plan.json" "$helm" "$kubectl" --times "$work/times.json" 2> "$work/sequential.log")
plan_critical=$(python3 - "$work/plan.json" "$work/times.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1])); times = json.load(open(sys.argv[2]))
finish = {}
for step in plan["steps"]:  # plan order is a valid execution order
    finish[step["id"]] = times[step["id"]] + max((finish[n] for n in step.get("needs", [])), default=0)
print(f"{max(finish.values()):.1f}")
PY
)
echo "sequential helm/kubectl script: $sequential_s s (critical path of the DAG from these step times: $plan_critical s)"
echo "choreoctl vs sequential script: $(ratio "$sequential_s" "$install_s")x faster"
echo "choreoctl vs the critical path of the script's step times: $(ratio "$install_s" "$plan_critical")x"
down

# 3. helmfile
fresh helmfile "$clusters"
profile "$main" "$work/helmfile.yaml"
"$choreoctl" render -p "$work/helmfile.yaml" --format helmfile --out "$work/helmfile" >&2
releases=$(grep -c '^- name:' "$work/helmfile/helmfile.yaml" || true)
# Apply steps are empty releases of the export's charts/step whose hooks kubectl-apply the objects.
applies=$(grep -c '^  chart: ./charts/step$' "$work/helmfile/helmfile.yaml" || true)
releases="$releases releases, $applies of them apply steps"
t=$(now)
if (cd "$work/helmfile" && "$helmfile" --helm-binary "$helm" sync >"$work/helmfile-sync.log" 2>&1); then
  helmfile_s=$(secs "$t")
  before=$(helm_revisions)
  t=$(now)
  (cd "$work/helmfile" && "$helmfile" --helm-binary "$helm" sync >>"$work/helmfile-sync.log" 2>&1)
  helmfile_noop_s=$(secs "$t")
  echo "helmfile sync ($releases): $helmfile_s s; again, nothing changed: $helmfile_noop_s s, helm revisions added: $(( $(helm_revisions) - before ))"
  echo "choreoctl vs helmfile: install $(ratio "$helmfile_s" "$install_s")x faster, no-op $(ratio "$helmfile_noop_s" "$noop_s")x faster"
else
  echo "helmfile sync ($releases) FAILED after $(secs "$t") s: $(grep -m1 'Error:' "$work/helmfile-sync.log" | sed 's/^ *//')"
fi
down

# 4. scale: control plane + N data planes, one cluster each
if [ "$scale" = true ]; then
  for n in 1 2 4 8; do
    list=cp; planes="  - {name: control, type: control, context: cp}"
    for i in $(seq 1 "$n"); do
      list=$list,dp$i
      planes=$planes$'\n'"  - {name: dp$i, type: data, context: dp$i}"
    done
    fresh "scale$n" "$list"
    printf 'apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\nmetadata: {name: bench-scale}\nspec:\n  edition: generic\n  planes:\n%s\n' "$planes" > "$work/scale.src"
    profile "$work/scale.src" "$work/scale.yaml"
    t=$(now) cpu=$(busy)
    /usr/bin/time -f '%M %U %S' -o "$work/rss" "$choreoctl" install -p "$work/scale.yaml" --yes --helm "$helm" 2> "$work/scale$n.log"
    wall=$(secs "$t") cpu_used=$(utilisation "$cpu" "$(busy)")
    read -r rss user sys < "$work/rss"
    # CPU of choreoctl and every helm it ran (GNU time counts waited-for children), and how busy
    # the whole machine was (the sandbox's control planes share its cores).
    echo "scale: $n data plane(s): $wall s, choreoctl peak RSS $(( rss / 1024 )) MiB, CPU of choreoctl+helm $(python3 -c "print(f'{$user+$sys:.1f}')") s, machine busy $cpu_used% of $(nproc) cores"
    down
  done
fi
