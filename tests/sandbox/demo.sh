#!/usr/bin/env bash
# The README's first command (`make demo`): build choreoctl and the sandbox, bring up three
# real Kubernetes control planes (contexts cp, dp1, obs) with the loopback chart mirror, show
# choreoctl's plan for the shared-observability topology bound to them, install it (stand-in
# charts, docs/sandbox.md), install it again to show that a re-run changes nothing, and end
# with `choreoctl status`: what is installed and how it is doing, read back from the journal.
#
# The sandbox keeps running afterwards (`make sandbox-down` stops it); rerunning is cheap.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
name=${CHOREOCTL_DEMO_SANDBOX:-demo}

cargo build --release --quiet
tests/sandbox/build.sh >/dev/null
tests/sandbox/sandbox up --name "$name" --clusters cp,dp1,obs --nodes 2
eval "$(tests/sandbox/sandbox env --name "$name")"

# A profile bound to the sandbox: the shared-observability preset, plus the sandbox's chart
# and manifest mirrors (what a private mirror looks like to choreoctl).
profile=$CHOREOCTL_SANDBOX_DIR/demo-profile.yaml
{
  ./target/release/choreoctl profile show --preset shared-observability --edition cilium
  printf '  charts: {mirror: "%s", plainHttp: true}\n' "$CHOREOCTL_SANDBOX_MIRROR"
  printf '  manifests: {mirror: "%s", plainHttp: true}\n' "$CHOREOCTL_SANDBOX_MANIFESTS"
} > "$profile"

echo
echo "== profile $profile (contexts checked against $KUBECONFIG)"
./target/release/choreoctl profile validate "$profile"
echo
./target/release/choreoctl plan --profile "$profile"
echo
echo "== install (helm from the sandbox, on PATH)"
./target/release/choreoctl install --profile "$profile" --yes
echo
echo "== install again: nothing changed, so no helm upgrade runs"
./target/release/choreoctl install --profile "$profile" --yes 2>&1 | tail -1
echo
echo "== planes registered with the control plane (context cp)"
kubectl --context cp get clusterdataplanes,clusterworkflowplanes,clusterobservabilityplanes
echo
echo "== status: read from the installation's journal on cp, no profile file (docs/status.md)"
./target/release/choreoctl status --context cp
echo
echo "The clusters are running: kubectl --context cp get nodes (after: eval \"\$(tests/sandbox/sandbox env --name $name)\")"
echo "Stop them with: make sandbox-down"
