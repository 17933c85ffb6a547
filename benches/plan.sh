#!/usr/bin/env bash
# Benchmark of `choreoctl plan` (DESIGN goal: median < 15 ms wall, < 25 MB peak RSS) on the
# fully-isolated topology with every installable module, Cilium edition, JSON output.
#
# Compared in the same run with what a user would otherwise do to see what an install
# would deploy with plain helm: `helm template` of every release of the same plan, with
# the values choreoctl renders, against the local stand-in charts (tests/charts).
#
# Needs: cargo, hyperfine and GNU time (Debian packages `hyperfine`, `time`), and the
# sandbox's helm (tests/sandbox/build.sh) for the comparison.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
profile=benches/fully-isolated-all-modules.yaml
for tool in hyperfine /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install hyperfine time" >&2; exit 1; }
done

cargo build --release --quiet
bin=$root/target/release/choreoctl
export KUBECONFIG=/nonexistent/kubeconfig NO_COLOR=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

steps=$("$bin" plan -p "$profile" -o json | python3 -c 'import json,sys; p=json.load(sys.stdin); print(len(p["steps"]), sum(s["kind"]=="helm" for s in p["steps"]))')
echo "plan: $steps (steps, helm releases)"

# The plain-helm equivalent: one `helm template` per release, values from `choreoctl render`.
helm_bin=$(tests/sandbox/build.sh --print 2>/dev/null)/helm
if [ -x "$helm_bin" ]; then
  "$bin" render -p "$profile" --out "$work/render" 2>/dev/null
  "$bin" plan -p "$profile" -o json > "$work/plan.json"
  python3 - "$work" "$helm_bin" "$root/tests/charts" > "$work/helm-template.sh" <<'PY'
import json, sys
work, helm, charts = sys.argv[1:4]
plan = json.load(open(f"{work}/plan.json"))
print("#!/usr/bin/env bash\nset -e")
for index, step in enumerate(plan["steps"], 1):
    if step["kind"] != "helm":
        continue
    stem = step["id"].split("@")[0].replace("/", "-")
    values = f'{work}/render/{step["plane"]}/{index:03d}-{stem}.values.yaml'
    print(f'{helm} template {step["release"]} {charts}/{step["chart"]["name"]} '
          f'--namespace {step["namespace"]} --kube-version v1.33.0 -f {values} > /dev/null')
PY
  chmod +x "$work/helm-template.sh"
  "$work/helm-template.sh"
  compare=("$work/helm-template.sh")
else
  echo "sandbox helm not built; skipping the plain-helm comparison (run tests/sandbox/build.sh)" >&2
  compare=()
fi

hyperfine --warmup 5 --runs 50 --export-json "$work/hyperfine.json" -N \
  "$bin plan -p $profile -o json" "${compare[@]}"

rss=()
for _ in $(seq 20); do
  rss+=("$(/usr/bin/time -f %M "$bin" plan -p "$profile" -o json 2>&1 >/dev/null | tail -1)")
done
if command -v valgrind >/dev/null; then
  valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
    "$bin" plan -p "$profile" -o json >/dev/null 2>"$work/callgrind.log"
  echo "instructions (callgrind, load-independent): $(grep -m1 '^summary:' "$work/callgrind.out" | cut -d' ' -f2)"
fi
python3 - "$work/hyperfine.json" "${rss[@]}" <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
rss = sorted(int(x) for x in sys.argv[2:])
plan = results[0]
print(f"choreoctl plan: median {plan['median']*1000:.1f} ms, mean {plan['mean']*1000:.1f} ms "
      f"(± {plan['stddev']*1000:.1f}), peak RSS median {statistics.median(rss)/1024:.1f} MiB, "
      f"max {rss[-1]/1024:.1f} MiB")
if len(results) > 1:
    helm = results[1]
    print(f"helm template x releases: median {helm['median']*1000:.1f} ms "
          f"-> choreoctl plan is {helm['median']/plan['median']:.1f}x faster")
PY
