#!/usr/bin/env bash
# Installs every stand-in chart from the sandbox's loopback registry, the way
# OpenChoreo's scripts install the real ones (same release names, namespaces,
# key values; versions as modules/releases/*.yaml pins them), with
# `helm upgrade --install --wait`, and checks what an installer waits on:
# Deployments available, Certificates/ExternalSecrets Ready, the generated
# CA, StatefulSets created by the prometheus-operator Stage, plane
# registration status. Uses its own sandbox (default name
# "charts-check", one cluster) and removes it at the end unless --keep.
#
#   tests/sandbox/check-charts.sh [--name NAME] [--keep]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=charts-check keep=false
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name=$2; shift 2;;
    --keep) keep=true; shift;;
    *) echo "usage: $0 [--name NAME] [--keep]" >&2; exit 2;;
  esac
done

log() { printf 'check-charts: %s\n' "$*" >&2; }
fail() { printf 'check-charts: FAIL: %s\n' "$*" >&2; exit 1; }

# Chart and manifest versions exactly as the catalog pins them (modules/releases/*.yaml).
pins=$(python3 "$here/../charts/gen.py" --pins) || fail "cannot read the catalog's pins"
pin() { # name -> pinned version
  awk -v n="$1" '$1 == n { print $2 }' <<< "$pins" | grep . || fail "modules/releases/*.yaml pins no $1"
}

"$here/sandbox" up --name "$name" --clusters c1 --nodes 2 --cni calico
if [ "$keep" = false ]; then trap '"$here/sandbox" down --name "$name"' EXIT; fi
eval "$("$here/sandbox" env --name "$name")"
k() { kubectl --context c1 "$@"; }
mirror=$CHOREOCTL_SANDBOX_MIRROR

install() { # chart namespace [helm args...]: release named like the chart, version as pinned
  local chart=$1 ns=$2 ver t0=$SECONDS; shift 2
  ver=$(pin "$chart") || exit 1
  helm upgrade --install "$chart" "$mirror/$chart" --version "$ver" --plain-http --kube-context c1 \
    --namespace "$ns" --create-namespace --wait --timeout 2m "$@" >/dev/null 2>"$CHOREOCTL_SANDBOX_DIR/helm-$chart.err" ||
    fail "helm install $chart $ver: $(cat "$CHOREOCTL_SANDBOX_DIR/helm-$chart.err")"
  log "installed $chart $ver into $ns ($((SECONDS - t0))s)"
}

wait_for() { # what kubectl-wait-args...
  local what=$1; shift
  k wait "$@" --timeout=60s >/dev/null || fail "$what"
}
crd_established() { # crd-name: created later by a Stage-driven Job (17-crd-jobs.yaml), as the real chart does
  for _ in $(seq 60); do k get crd "$1" >/dev/null 2>&1 && break; sleep 0.5; done
  wait_for "CRD $1 Established" --for=condition=Established "crd/$1"
}

gateway_api=$(pin gateway-api) || exit 1
k apply --server-side -f "$CHOREOCTL_SANDBOX_MANIFESTS/gateway-api/$gateway_api/standard-install.yaml" >/dev/null
wait_for "Gateway API CRDs established" --for=condition=Established crd/gateways.gateway.networking.k8s.io
k get ds -n kube-system calico-node >/dev/null || fail "calico-node DaemonSet missing (--cni calico)"

install cert-manager cert-manager --set crds.enabled=true
wait_for "cert-manager-webhook available" -n cert-manager --for=condition=Available deployment/cert-manager-webhook
install external-secrets external-secrets --set installCRDs=true
install kgateway-crds openchoreo-control-plane
install kgateway openchoreo-control-plane
wait_for "GatewayClass kgateway accepted" --for=condition=Accepted gatewayclass/kgateway
install openbao openbao --set server.dev.enabled=true
wait_for "openbao server pods ready" -n openbao --for=condition=Ready pod -l app.kubernetes.io/name=openbao,component=server
k apply -f - >/dev/null <<'EOF'
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: default}
spec:
  provider:
    vault:
      server: http://openbao.openbao.svc:8200
      path: secret
      version: v2
      auth: {kubernetes: {mountPath: kubernetes, role: openchoreo-secret-writer-role}}
EOF
install thunder thunder
wait_for "thunder available" -n thunder --for=condition=Available deployment -l app.kubernetes.io/name=thunder
k get namespace openchoreo-control-plane >/dev/null 2>&1 || k create namespace openchoreo-control-plane >/dev/null
k apply -f - >/dev/null <<'EOF'
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: backstage-secrets, namespace: openchoreo-control-plane}
spec:
  secretStoreRef: {kind: ClusterSecretStore, name: default}
  target: {name: backstage-secrets}
  data:
  - {secretKey: backend-secret, remoteRef: {key: backstage-backend-secret, property: value}}
  - {secretKey: client-secret, remoteRef: {key: backstage-client-secret, property: value}}
EOF
wait_for "ClusterSecretStore default Ready" --for=condition=Ready clustersecretstore/default
wait_for "ExternalSecret backstage-secrets Ready" -n openchoreo-control-plane --for=condition=Ready externalsecret/backstage-secrets
[ "$(k get secret -n openchoreo-control-plane backstage-secrets -o jsonpath='{.data.client-secret}' | base64 -d)" = sandbox-client-secret ] ||
  fail "ExternalSecret did not write its target Secret"

# The control plane refuses placeholder hostnames, like the real chart.
cp_version=$(pin openchoreo-control-plane) || exit 1
if out=$(helm template openchoreo-control-plane "$mirror/openchoreo-control-plane" --version "$cp_version" --plain-http 2>&1); then
  fail "openchoreo-control-plane rendered with .invalid placeholders"
fi
case "$out" in *"still a .invalid placeholder"*"backstage.secretName"*) ;; *) fail "unexpected render failure: $out";; esac
cp_values=(--set "openchoreoApi.http.hostnames[0]=api.openchoreo.localhost"
  --set openchoreoApi.config.server.publicUrl=http://api.openchoreo.localhost
  --set backstage.baseUrl=http://openchoreo.localhost --set "backstage.http.hostnames[0]=openchoreo.localhost"
  --set backstage.secretName=backstage-secrets --set security.oidc.issuer=http://thunder.openchoreo.localhost)
install openchoreo-control-plane openchoreo-control-plane "${cp_values[@]}"
wait_for "control-plane deployments available" -n openchoreo-control-plane --for=condition=Available deployment --all
wait_for "certificate cluster-gateway-ca Ready" -n openchoreo-control-plane --for=condition=Ready certificate/cluster-gateway-ca
wait_for "gateway-default programmed" -n openchoreo-control-plane --for=condition=Programmed gateway/gateway-default
ca=$(k get secret -n openchoreo-control-plane cluster-gateway-ca -o jsonpath='{.data.ca\.crt}' | base64 -d)
printf '%s\n' "$ca" | python3 -c 'import sys; d=sys.stdin.read(); sys.exit(0 if d.startswith("-----BEGIN CERTIFICATE-----") else 1)' ||
  fail "Secret cluster-gateway-ca holds no PEM CA"
# An upgrade keeps the same CA (lookup guard).
install openchoreo-control-plane openchoreo-control-plane "${cp_values[@]}"
[ "$ca" = "$(k get secret -n openchoreo-control-plane cluster-gateway-ca -o jsonpath='{.data.ca\.crt}' | base64 -d)" ] ||
  fail "helm upgrade changed the cluster-gateway CA"
lb=$(k get svc -n openchoreo-control-plane gateway-default -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
[ -n "$lb" ] || fail "gateway-default LoadBalancer Service got no address"

for plane in data workflow observability; do
  ns=openchoreo-$plane-plane
  k get namespace "$ns" >/dev/null 2>&1 || k create namespace "$ns" >/dev/null
  k create configmap cluster-gateway-ca -n "$ns" --from-literal=ca.crt="$ca" --dry-run=client -o yaml | k apply -f - >/dev/null
  install "openchoreo-$plane-plane" "$ns" --set clusterAgent.planeID=default
  wait_for "cluster-agent-${plane}plane-tls Ready" -n "$ns" --for=condition=Ready "certificate/cluster-agent-${plane}plane-tls"
  agent_ca=$(k get secret -n "$ns" cluster-agent-tls -o jsonpath='{.data.ca\.crt}' | base64 -d)
  case "$agent_ca" in -----BEGIN\ CERTIFICATE-----*) ;; *) fail "$ns/cluster-agent-tls has no ca.crt";; esac
  kind=Cluster$(tr '[:lower:]' '[:upper:]' <<< "${plane:0:1}")${plane:1}Plane
  extra=""
  [ "$plane" = observability ] && extra="observerURL: http://observer.openchoreo.localhost"
  [ "$plane" = observability ] || extra="secretStoreRef: {name: default}"
  python3 - "$kind" "$agent_ca" "$extra" > "$CHOREOCTL_SANDBOX_DIR/plane.json" <<'PY'
import json, sys
kind, ca, extra = sys.argv[1:]
spec = {"planeID": "default", "clusterAgent": {"clientCA": {"value": ca}}}
if extra.startswith("observerURL"):
    spec["observerURL"] = extra.split(": ", 1)[1]
else:
    spec["secretStoreRef"] = {"name": "default"}
print(json.dumps({"apiVersion": "openchoreo.dev/v1alpha1", "kind": kind, "metadata": {"name": "default"}, "spec": spec}))
PY
  k apply -f "$CHOREOCTL_SANDBOX_DIR/plane.json" >/dev/null
  wait_for "$kind default agent connected" --for=jsonpath='{.status.agentConnection.connected}'=true "$(tr '[:upper:]' '[:lower:]' <<< "$kind")/default"
done
crd_established clusterworkflowtemplates.argoproj.io
wait_for "data-plane gateway-default programmed" -n openchoreo-data-plane --for=condition=Programmed gateway/gateway-default
# CEL: cluster-scoped planes may only reference a ClusterObservabilityPlane.
if k patch clusterdataplane default --type merge -p '{"spec":{"observabilityPlaneRef":{"kind":"ObservabilityPlane","name":"x"}}}' >/dev/null 2>&1; then
  fail "ClusterDataPlane accepted a namespaced observabilityPlaneRef"
fi
k patch clusterdataplane default --type merge \
  -p '{"spec":{"observabilityPlaneRef":{"kind":"ClusterObservabilityPlane","name":"default"}}}' >/dev/null

obs=openchoreo-observability-plane
install observability-logs-opensearch "$obs" --set openSearchSetup.openSearchSecretName=opensearch-admin-credentials \
  --set adapter.openSearchSecretName=opensearch-admin-credentials
install observability-tracing-opensearch "$obs" --set openSearch.enabled=false \
  --set openSearchSetup.openSearchSecretName=opensearch-admin-credentials
install observability-metrics-prometheus "$obs"
for s in prometheus-openchoreo-observability alertmanager-openchoreo-observability; do
  for _ in $(seq 40); do k get statefulset -n "$obs" "$s" >/dev/null 2>&1 && break; sleep 0.5; done
  k rollout status -n "$obs" "statefulset/$s" --timeout=60s >/dev/null || fail "statefulset $s (created by the operator Stage)"
done
install observability-logs-opensearch "$obs" --reuse-values --set fluent-bit.enabled=true
k rollout status -n "$obs" daemonset/fluent-bit --timeout=60s >/dev/null || fail "fluent-bit DaemonSet"
install observability-events-otel-collector "$obs"

install cilium kube-system --set hubble.relay.enabled=true
crd_established ciliumclusterwidenetworkpolicies.cilium.io
install argo-cd argocd
install flux2 flux-system --set helmController.create=false --set notificationController.create=false \
  --set imageAutomationController.create=false --set imageReflectionController.create=false
install argo-events argo-events
install keda keda
install keda-add-ons-http keda
install harbor harbor
install docker-registry openchoreo-workflow-plane
install gateway-helm envoy-gateway-system
install ai-gateway-crds-helm envoy-ai-gateway-system
install ai-gateway-helm envoy-ai-gateway-system

# Every chart of the catalog was installed once.
installed=$(helm list -A --kube-context c1 -q | sort -u | wc -l)
charts=$(find "$here/../charts" -mindepth 2 -maxdepth 2 -name Chart.yaml | wc -l)
[ "$installed" -ge "$charts" ] || fail "installed $installed releases, there are $charts stand-in charts"
log "OK: all $charts stand-in charts installed and ready"
