#!/usr/bin/env python3
"""Generates the stand-in charts under tests/charts/<chart>/ and the stand-in
manifests under tests/charts/manifests/.

The charts are committed as plain chart directories; this script keeps them
consistent. Edit the CHARTS table below or the files under tests/charts/src/, run

    python3 tests/charts/gen.py           # regenerate (each chart directory is wiped first)
    python3 tests/charts/gen.py --check   # fail if the committed files differ (run by `make lint`)
    python3 tests/charts/gen.py --pins    # "<chart> <version>" for every pinned chart and manifest

and commit the result. Needs PyYAML (Debian: python3-yaml).

Where each part of a chart comes from (paths relative to tests/charts/):

- Chart.yaml: name and version from the catalog's pins (modules/releases/*.yaml,
  the single source of versions), the rest from the CHARTS table below.
- values.yaml, README.md, .helmignore, templates/crds.yaml or crds/crds.yaml:
  from the CHARTS table (YAML written with PyYAML).
- templates/<kind>-<name>.yaml, one per workload of the table: filled in from
  the skeletons in src/_workload/ (see `fill`).
- Hand-written templates, copied verbatim (plain Helm templates, no escaping):
    src/_helpers.tpl              -> templates/_helpers.tpl of every chart
    src/_shared/<file>            -> templates/<file> of each chart listing it in `shared`
    src/<chart>/<path>            -> <chart>/<path> (e.g. src/cilium/templates/x.yaml)
- manifests/gateway-api/<version>/standard-install.yaml: CRDs from
  gateway_api_manifest below, version from the catalog's manifest pin; manifests/calico/calico.yaml:
  src/_manifests/calico.yaml plus generated CRDs.

A stand-in holds only what choreoctl installs, waits on and reads, under the
names the real chart uses when installed the way OpenChoreo's own scripts do
(release name = chart name). It never pulls images (KWOK runs no containers),
never uses PVCs, LoadBalancer Services or admission webhooks (nothing would
serve or bind them under KWOK). Readiness comes from the cluster: the real
controller-manager for workloads, KWOK Stages (tests/sandbox/stages) for the
custom resources.
"""
from __future__ import annotations

import difflib
import json
import glob
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "src")
RELEASES = os.path.join(HERE, "..", "..", "modules", "releases")
# Entries of tests/charts that are not generated.
NOT_GENERATED = {"gen.py", "src"}
# Low enough for `helm template` without --kube-version (helm assumes v1.20), high enough
# that an API server without the version stamp (v0.0.0-master) fails the check.
KUBE_VERSION = ">=1.19.0-0"


# --------------------------------------------------------------------------
# model

@dataclass
class W:
    """A workload: Deployment, StatefulSet or DaemonSet."""
    name: str
    kind: str = "Deployment"
    cond: str | None = None            # values path that must be true, e.g. "hubble.relay.enabled"
    labels: dict = field(default_factory=dict)  # extra pod labels
    port: int | None = 8080            # ClusterIP Service port (None: no Service)
    replicas: int | str = 1            # a count, or a values path holding it
    env: str | None = None             # values path of a list of container env entries


@dataclass
class CRD:
    group: str
    kind: str
    plural: str
    scope: str = "Namespaced"
    versions: tuple = ("v1",)
    short: tuple = ()
    spec_schema: dict | None = None   # explicit spec properties (preserve-unknown stays on)
    status_schema: dict | None = None
    spec_required: tuple = ()
    validations: tuple = ()            # x-kubernetes-validations on spec
    annotations: dict = field(default_factory=dict)
    closed: bool = False               # spec holds only spec_schema's fields (strict validation rejects others)
    root_required: tuple = ()          # required top-level fields (e.g. "spec")


@dataclass
class Chart:
    """A stand-in chart. Its version and the real chart's location come from the catalog's pins."""
    name: str
    app: str                           # appVersion
    ns: str                            # namespace OpenChoreo installs it into (README, annotation)
    workloads: list = field(default_factory=list)
    crds: list = field(default_factory=list)
    crd_cond: str | None = None        # values path gating templated CRDs
    crd_keep: str | None = None        # values path that, when true, keeps templated CRDs on uninstall (as the real chart)
    crd_dir: bool = False              # CRDs in crds/ (never templated, never upgraded)
    crd_jobs: str | None = None        # CRDs created at run time: name prefix of one Job per CRD (see crd_jobs_yaml)
    values: dict = field(default_factory=dict)
    shared: tuple = ()                 # files of src/_shared/ copied into templates/
    notes: str = ""


@dataclass
class Pin:
    """A chart or manifest as the catalog pins it."""
    version: str
    real: str                          # where the real one lives (Chart.yaml annotation)


def read_pins() -> dict[str, Pin]:
    """Chart and manifest pins of every release in modules/releases/, by name.

    tests/charts holds one stand-in per chart name, so all releases must pin the same version."""
    pins: dict[str, Pin] = {}
    for path in sorted(glob.glob(os.path.join(RELEASES, "*.yaml"))):
        with open(path) as f:
            release = yaml.safe_load(f)
        found = []
        for pin in release.get("charts", {}).values():
            repo = pin["repo"]
            real = f"{repo}/{pin['name']}" if repo.startswith("oci://") else f"{repo} {pin['name']}"
            found.append((pin["name"], Pin(str(pin["version"]), real)))
        for pin in release.get("manifests", {}).values():
            found.append((pin["name"], Pin(str(pin["version"]), pin["url"])))
        for name, pin in found:
            if name in pins and pins[name].version != pin.version:
                sys.exit(f"gen.py: {name} is pinned at {pins[name].version} and {pin.version} "
                         f"({os.path.basename(path)}); tests/charts holds one stand-in per name")
            pins[name] = pin
    if not pins:
        sys.exit(f"gen.py: no pins found in {RELEASES}/*.yaml")
    return pins


# --------------------------------------------------------------------------
# output helpers

def dump(obj) -> str:
    """One YAML document, keys in insertion order, long strings kept on one line."""
    return yaml.safe_dump(obj, sort_keys=False, width=1 << 16)


def values_ref(path: str) -> str:
    """values path -> Go template expression, safe for hyphenated keys."""
    parts = path.split(".")
    if any("-" in p for p in parts):
        return "(index .Values " + " ".join(f'"{p}"' for p in parts) + ")"
    return ".Values." + path


def gated(cond: str | None, body: str) -> str:
    """Wraps a template body in `{{- if <values path> }} ... {{- end }}` when cond is set."""
    if not cond:
        return body
    return "{{- if " + values_ref(cond) + " }}\n" + body + "{{- end }}\n"


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


def write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


# --------------------------------------------------------------------------
# workloads: skeletons in src/_workload/ with @placeholders@

PLACEHOLDER = re.compile(r"@([a-z-]+)@")
BLOCK_LINE = re.compile(r"( *)@([a-z-]+)@\n")


def fill(skeleton: str, values: dict) -> str:
    """Replaces `@key@` by values[key]. A placeholder alone on its line stands for a block of
    YAML lines (possibly none), indented like the placeholder. Unknown keys are an error."""
    out = []
    for line in read(os.path.join(SRC, "_workload", skeleton)).splitlines(keepends=True):
        block = BLOCK_LINE.fullmatch(line)
        if block:
            out += [block[1] + part + "\n" for part in values[block[2]].splitlines()]
        else:
            out.append(PLACEHOLDER.sub(lambda m: str(values[m[1]]), line))
    return "".join(out)


def workload_yaml(w: W) -> str:
    values = {
        "name": w.name,
        "replicas": "{{ " + values_ref(w.replicas) + " }}" if isinstance(w.replicas, str) else w.replicas,
        "service-name": f"{w.name}-headless" if w.port else w.name,
        "port": w.port,
        "pod-labels": dump(w.labels) if w.labels else "",
        "container-ports": dump({"ports": [{"name": "http", "containerPort": w.port}]}) if w.port else "",
        # The skeletons put the container's fields 8 spaces deep.
        "container-env": ("{{- with " + values_ref(w.env) + " }}\nenv:\n  {{- toYaml . | nindent 10 }}\n{{- end }}"
                          if w.env else ""),
    }
    docs = [fill(f"{w.kind.lower()}.yaml", values)]
    if w.port and w.kind in ("Deployment", "StatefulSet"):
        docs.append(fill("service.yaml", values))
    if w.port and w.kind == "StatefulSet":
        docs.append(fill("service-headless.yaml", values))
    return gated(w.cond, "---\n".join(docs))


# --------------------------------------------------------------------------
# CRDs

CONDITIONS = {
    "type": "array",
    "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
              "properties": {"type": {"type": "string"}, "status": {"type": "string"},
                             "reason": {"type": "string"}, "message": {"type": "string"},
                             "lastTransitionTime": {"type": "string"},
                             "observedGeneration": {"type": "integer"}}},
}


def crd_doc(d: CRD, part_of: str | None = None) -> dict:
    spec = {"type": "object"} if d.closed else {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    if d.spec_schema:
        spec["properties"] = d.spec_schema
    if d.spec_required:
        spec["required"] = list(d.spec_required)
    if d.validations:
        spec["x-kubernetes-validations"] = list(d.validations)
    status = {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
              "properties": {"conditions": CONDITIONS, **(d.status_schema or {})}}
    schema = {"openAPIV3Schema": {"type": "object", "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
        "spec": spec, "status": status}}}
    if d.root_required:
        schema["openAPIV3Schema"]["required"] = list(d.root_required)
    versions = []
    for i, v in enumerate(d.versions):
        versions.append({
            "name": v, "served": True, "storage": i == 0,
            "subresources": {"status": {}},
            "additionalPrinterColumns": [
                {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
                {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}],
            "schema": schema,
        })
    names = {"kind": d.kind, "listKind": d.kind + "List", "plural": d.plural, "singular": d.kind.lower()}
    if d.short:
        names["shortNames"] = list(d.short)
    meta = {"name": f"{d.plural}.{d.group}"}
    if d.annotations:
        meta["annotations"] = dict(d.annotations)
    meta["labels"] = {"choreoctl.dev/stand-in": "true"}
    if part_of:
        meta["labels"]["app.kubernetes.io/part-of"] = part_of
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": meta,
            "spec": {"group": d.group, "names": names, "scope": d.scope, "versions": versions}}


def crds_yaml(crds: list, part_of: str | None = None) -> str:
    """The CRDs as a multi-document YAML stream (safe_dump's own `---` separators)."""
    return yaml.safe_dump_all([crd_doc(d, part_of) for d in crds], sort_keys=False, width=1 << 16)


def kept(keep: str | None, body: str) -> str:
    """Gives every CRD of `body` helm's `resource-policy: keep` annotation while the values path
    `keep` is true, as the real charts do (cert-manager's `crds.keep`): uninstalling the release
    then leaves the CRDs, and with them every custom resource, in place."""
    if not keep:
        return body
    annotation = ("metadata:\n  {{- if " + values_ref(keep) + " }}\n  annotations:\n"
                  "    helm.sh/resource-policy: keep\n  {{- end }}\n")
    return re.sub(r"(?m)^metadata:\n", annotation, body)


# The annotation naming the CRD a Job installs, read by the KWOK Stage
# tests/sandbox/stages/17-crd-jobs.yaml.
INSTALLS_CRD = "sandbox.choreoctl.dev/installs-crd"


def crd_jobs_yaml(crds: list, prefix: str, part_of: str) -> str:
    """One Job per CRD, standing in for a chart that creates its CRDs at run time (a Job, an
    operator). No container runs under KWOK: the Job carries its CRD as JSON in an annotation,
    and a KWOK Stage creates it a few seconds after the Job, i.e. after helm has returned."""
    docs = []
    for d in crds:
        name = f"{prefix}-{d.plural}"
        annotation = dump({INSTALLS_CRD: json.dumps(crd_doc(d, part_of), separators=(",", ":"))})
        docs.append(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n"
            f"  name: {name}\n"
            "  namespace: {{ .Release.Namespace }}\n"
            "  labels:\n    {{- include \"standin.labels\" . | nindent 4 }}\n"
            "  annotations:\n" + "".join("    " + line + "\n" for line in annotation.splitlines()) +
            "spec:\n  backoffLimit: 2\n  template:\n    metadata:\n      labels:\n"
            f"        app.kubernetes.io/component: {prefix}\n"
            "    spec:\n      restartPolicy: Never\n      automountServiceAccountToken: false\n"
            f"      containers:\n      - name: {prefix}\n"
            f"        image: {{{{ include \"standin.image\" (dict \"ctx\" . \"name\" \"{prefix}\") | quote }}}}\n")
    return "---\n".join(docs)


# --------------------------------------------------------------------------
# charts

def chart_yaml(c: Chart, pin: Pin) -> str:
    return dump({
        "apiVersion": "v2",
        "name": c.name,
        "version": pin.version,
        "appVersion": c.app,
        "kubeVersion": KUBE_VERSION,
        "type": "application",
        "description": f"Stand-in for the real {c.name} chart ({pin.real}) in the choreoctl test sandbox: "
                       f"same name and version, only the resources choreoctl installs, waits on and reads.",
        "annotations": {"choreoctl.dev/stand-in": "true", "choreoctl.dev/real-chart": pin.real,
                        "choreoctl.dev/namespace": c.ns},
    })


def readme(c: Chart, pin: Pin) -> str:
    text = (f"# {c.name} {pin.version} (stand-in)\n\nReal chart: `{pin.real}`, installed into `{c.ns}`.\n"
            f"Generated by `tests/charts/gen.py` (hand-written templates: `tests/charts/src/`); "
            f"edit those, not these files.\n")
    if c.notes:
        text += "\n" + c.notes.strip() + "\n"
    return text


def copy_file(src: str, dst: str) -> None:
    """Copies a hand-written file verbatim; refuses to overwrite a generated one."""
    if os.path.exists(dst):
        sys.exit(f"gen.py: {os.path.relpath(src, HERE)} would overwrite a generated file")
    write(dst, read(src))


def copy_tree(src: str, dst: str) -> None:
    """Copies every file under src to the same relative path under dst."""
    for root, _, files in os.walk(src):
        for name in sorted(files):
            path = os.path.join(root, name)
            copy_file(path, os.path.join(dst, os.path.relpath(path, src)))


def gen_chart(c: Chart, pin: Pin, out: str) -> None:
    root = os.path.join(out, c.name)
    shutil.rmtree(root, ignore_errors=True)
    write(os.path.join(root, "Chart.yaml"), chart_yaml(c, pin))
    values = {"global": {"imageRegistry": ""}, **c.values}
    write(os.path.join(root, "values.yaml"),
          f"# Stand-in values for {c.name} {pin.version}. Keys mirror the real chart where choreoctl sets them.\n"
          + dump(values))
    write(os.path.join(root, ".helmignore"), "*.md\n")
    write(os.path.join(root, "README.md"), readme(c, pin))
    write(os.path.join(root, "templates", "_helpers.tpl"), read(os.path.join(SRC, "_helpers.tpl")))
    for w in c.workloads:
        write(os.path.join(root, "templates", f"{w.kind.lower()}-{w.name}.yaml"), workload_yaml(w))
    if c.crds and c.crd_jobs:
        write(os.path.join(root, "templates", f"jobs-{c.crd_jobs}.yaml"),
              gated(c.crd_cond, crd_jobs_yaml(c.crds, c.crd_jobs, c.name)))
    elif c.crds and c.crd_dir:
        write(os.path.join(root, "crds", "crds.yaml"), crds_yaml(c.crds, c.name))
    elif c.crds:
        write(os.path.join(root, "templates", "crds.yaml"),
              gated(c.crd_cond, kept(c.crd_keep, crds_yaml(c.crds, c.name))))
    for name in c.shared:
        copy_file(os.path.join(SRC, "_shared", name), os.path.join(root, "templates", name))
    own = os.path.join(SRC, c.name)
    if os.path.isdir(own):
        copy_tree(own, root)


# --------------------------------------------------------------------------
# shared schemas

def obj(props: dict, **kw) -> dict:
    return {"type": "object", "properties": props, **kw}


STR = {"type": "string"}
PLANE_ID = {"type": "string", "maxLength": 63, "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}
CLUSTER_AGENT = obj({"clientCA": obj({
    "value": STR,
    "secretKeyRef": obj({"name": STR, "namespace": STR, "key": STR}),
})}, **{"x-kubernetes-preserve-unknown-fields": True})
OBS_REF = obj({"kind": {"type": "string", "enum": ["ObservabilityPlane", "ClusterObservabilityPlane"]}, "name": STR},
              required=["name"])
SECRET_STORE_REF = obj({"name": STR}, required=["name"])
AGENT_CONNECTION = {"agentConnection": obj({
    "connected": {"type": "boolean"}, "connectedAgents": {"type": "integer"},
    "lastConnectedTime": STR, "lastDisconnectedTime": STR, "lastHeartbeatTime": STR, "message": STR,
}, **{"x-kubernetes-preserve-unknown-fields": True})}
ONLY_CLUSTER_OBS = ({"rule": "!has(self.observabilityPlaneRef) || self.observabilityPlaneRef.kind == 'ClusterObservabilityPlane'",
                     "message": "cluster-scoped planes may only reference a ClusterObservabilityPlane"},)


# --------------------------------------------------------------------------
# GitOps engines' CRDs (Argo CD, Flux): closed schemas with the real CRDs' required fields and
# every field `choreoctl render --format argocd|flux` writes, so that a server-side dry-run with
# strict field validation checks an export as the real CRDs would (docs/gitops.md). Written from
# argoproj/argo-cd v3 manifests/crds and fluxcd/*-controller config/crd/bases (not vendored).

INT = {"type": "integer"}
BOOL = {"type": "boolean"}
ANY = {"x-kubernetes-preserve-unknown-fields": True}
STRS = {"type": "array", "items": {"type": "string"}}
LABELS = {"type": "object", "additionalProperties": {"type": "string"}}


def arr(item: dict) -> dict:
    return {"type": "array", "items": item}


ARGO_SOURCE = obj({
    "repoURL": STR, "targetRevision": STR, "path": STR, "chart": STR, "ref": STR, "name": STR,
    "helm": obj({"releaseName": STR, "valueFiles": STRS, "values": STR, "valuesObject": {"type": "object", **ANY},
                 "parameters": arr({"type": "object", **ANY}), "skipCrds": BOOL, "version": STR}),
    "directory": obj({"recurse": BOOL, "include": STR, "exclude": STR}),
    "kustomize": {"type": "object", **ANY},
}, required=["repoURL"])
ARGO_SPEC = {
    "project": STR,
    "destination": obj({"name": STR, "namespace": STR, "server": STR}),
    "source": ARGO_SOURCE,
    "sources": arr(ARGO_SOURCE),
    "syncPolicy": obj({
        "automated": obj({"prune": BOOL, "selfHeal": BOOL, "allowEmpty": BOOL, "enabled": BOOL}),
        "syncOptions": STRS,
        "retry": obj({"limit": INT, "backoff": obj({"duration": STR, "factor": INT, "maxDuration": STR})}),
        "managedNamespaceMetadata": {"type": "object", **ANY},
    }),
    "ignoreDifferences": arr({"type": "object", **ANY}),
    "info": arr({"type": "object", **ANY}),
    "revisionHistoryLimit": INT,
}
ARGO_REQUIRED = ("destination", "project")
APPSET_SPEC = {
    "goTemplate": BOOL,
    "goTemplateOptions": STRS,
    "generators": arr(obj({"clusters": obj({"selector": obj({"matchLabels": LABELS, "matchExpressions": arr({"type": "object", **ANY})}),
                                             "values": LABELS, "template": {"type": "object", **ANY}}),
                           "list": {"type": "object", **ANY}, "git": {"type": "object", **ANY},
                           "matrix": {"type": "object", **ANY}})),
    "template": obj({
        "metadata": obj({"name": STR, "namespace": STR, "labels": LABELS, "annotations": LABELS, "finalizers": STRS}),
        "spec": obj(ARGO_SPEC, required=list(ARGO_REQUIRED)),
    }, required=["metadata", "spec"]),
    "syncPolicy": {"type": "object", **ANY},
    "strategy": {"type": "object", **ANY},
}


def argo_cd_crds() -> list:
    g, v = "argoproj.io", ("v1alpha1",)
    return [CRD(g, "Application", "applications", versions=v, short=("app", "apps"), closed=True,
                spec_schema=ARGO_SPEC, spec_required=ARGO_REQUIRED, root_required=("metadata", "spec")),
            CRD(g, "AppProject", "appprojects", versions=v, short=("appproj",)),
            CRD(g, "ApplicationSet", "applicationsets", versions=v, short=("appset",), closed=True,
                spec_schema=APPSET_SPEC, spec_required=("generators", "template"), root_required=("metadata", "spec"))]


NAME_REF = obj({"name": STR, "namespace": STR}, required=["name"])
KUBECONFIG = obj({"secretRef": obj({"name": STR, "key": STR}, required=["name"]),
                  "configMapRef": obj({"name": STR}, required=["name"])})
KIND_REF = obj({"apiVersion": STR, "kind": STR, "name": STR, "namespace": STR}, required=["kind", "name"])
FLUX_SOURCE = {"interval": STR, "timeout": STR, "suspend": BOOL, "insecure": BOOL,
               "secretRef": obj({"name": STR}, required=["name"]), "provider": STR}


def flux_crds() -> list:
    src, hc, kc = "source.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io"
    release_spec = {
        "interval": STR, "timeout": STR, "suspend": BOOL, "releaseName": STR, "targetNamespace": STR,
        "storageNamespace": STR, "serviceAccountName": STR, "maxHistory": INT,
        "chart": obj({"spec": obj({"chart": STR, "version": STR, "interval": STR,
                                   "sourceRef": KIND_REF, "reconcileStrategy": STR}, required=["chart", "sourceRef"])},
                     required=["spec"]),
        "chartRef": obj({"apiVersion": STR, "kind": {"type": "string", "enum": ["OCIRepository", "HelmChart", "ExternalArtifact"]},
                         "name": STR, "namespace": STR}, required=["kind", "name"]),
        "kubeConfig": KUBECONFIG,
        "dependsOn": arr(obj({"name": STR, "namespace": STR, "readyExpr": STR}, required=["name"])),
        "install": obj({"createNamespace": BOOL, "crds": {"type": "string", "enum": ["Skip", "Create", "CreateReplace"]},
                        "disableWait": BOOL, "disableWaitForJobs": BOOL, "timeout": STR,
                        "remediation": obj({"retries": INT, "ignoreTestFailures": BOOL, "remediateLastFailure": BOOL})}),
        "upgrade": obj({"crds": {"type": "string", "enum": ["Skip", "Create", "CreateReplace"]}, "disableWait": BOOL,
                        "disableWaitForJobs": BOOL, "timeout": STR,
                        "remediation": obj({"retries": INT, "strategy": STR, "remediateLastFailure": BOOL})}),
        "values": {"type": "object", **ANY},
        "valuesFrom": arr(obj({"kind": STR, "name": STR, "valuesKey": STR, "targetPath": STR, "optional": BOOL},
                              required=["kind", "name"])),
        "healthCheckExprs": arr({"type": "object", **ANY}),
    }
    return [
        CRD(src, "GitRepository", "gitrepositories", closed=True, spec_required=("interval", "url"),
            spec_schema={**FLUX_SOURCE, "url": STR, "ref": obj({"branch": STR, "tag": STR, "semver": STR, "name": STR, "commit": STR}),
                         "ignore": STR}),
        CRD(src, "HelmRepository", "helmrepositories", closed=True, spec_required=("url",),
            spec_schema={**FLUX_SOURCE, "url": STR, "type": {"type": "string", "enum": ["default", "oci"]},
                         "passCredentials": BOOL}),
        CRD(src, "OCIRepository", "ocirepositories", closed=True, spec_required=("interval", "url"),
            spec_schema={**FLUX_SOURCE, "url": STR, "ref": obj({"tag": STR, "semver": STR, "digest": STR}),
                         "layerSelector": obj({"mediaType": STR, "operation": {"type": "string", "enum": ["extract", "copy"]}})}),
        CRD(hc, "HelmRelease", "helmreleases", versions=("v2",), short=("hr",), closed=True,
            spec_schema=release_spec, spec_required=("interval",),
            validations=({"rule": "(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) && has(self.chartRef))",
                          "message": "either chart or chartRef must be set"},)),
        CRD(kc, "Kustomization", "kustomizations", short=("ks",), closed=True,
            spec_required=("interval", "prune", "sourceRef"),
            spec_schema={"interval": STR, "retryInterval": STR, "timeout": STR, "suspend": BOOL, "path": STR,
                         "prune": BOOL, "wait": BOOL, "force": BOOL, "targetNamespace": STR,
                         "sourceRef": KIND_REF, "kubeConfig": KUBECONFIG,
                         "dependsOn": arr(obj({"name": STR, "namespace": STR, "readyExpr": STR}, required=["name"])),
                         "healthChecks": arr(KIND_REF), "healthCheckExprs": arr({"type": "object", **ANY}),
                         "postBuild": {"type": "object", **ANY}, "patches": arr({"type": "object", **ANY})}),
    ]


def plane_crds() -> list:
    g = "openchoreo.dev"
    v = ("v1alpha1",)
    common = {"planeID": PLANE_ID, "clusterAgent": CLUSTER_AGENT, "secretStoreRef": SECRET_STORE_REF,
              "observabilityPlaneRef": OBS_REF}
    obs = {"planeID": PLANE_ID, "clusterAgent": CLUSTER_AGENT, "observerURL": STR, "rcaAgentURL": STR,
           "finOpsAgentURL": STR}
    out = []
    for kind, plural, short in (("DataPlane", "dataplanes", "dp"), ("WorkflowPlane", "workflowplanes", "wp")):
        out.append(CRD(g, kind, plural, versions=v, short=(short,), spec_schema=common, status_schema=AGENT_CONNECTION))
        out.append(CRD(g, "Cluster" + kind, "cluster" + plural, scope="Cluster", versions=v, short=("c" + short,),
                       spec_schema=common, spec_required=("planeID",), validations=ONLY_CLUSTER_OBS,
                       status_schema=AGENT_CONNECTION))
    out.append(CRD(g, "ObservabilityPlane", "observabilityplanes", versions=v, short=("op",), spec_schema=obs,
                   spec_required=("observerURL",), status_schema=AGENT_CONNECTION))
    out.append(CRD(g, "ClusterObservabilityPlane", "clusterobservabilityplanes", scope="Cluster", versions=v,
                   short=("cop",), spec_schema=obs, spec_required=("planeID", "observerURL"),
                   status_schema=AGENT_CONNECTION))
    for kind, plural in (("Project", "projects"), ("Component", "components"), ("Environment", "environments"),
                         ("DeploymentPipeline", "deploymentpipelines"), ("ComponentType", "componenttypes"),
                         ("Trait", "traits"), ("ClusterTrait", "clustertraits"),
                         ("ClusterWorkflowTemplate", "clusterworkflowtemplates")):
        scope = "Cluster" if kind.startswith("Cluster") else "Namespaced"
        out.append(CRD(g, kind, plural, scope=scope, versions=v))
    return out


def cert_manager_crds() -> list:
    g, v = "cert-manager.io", ("v1",)
    return [CRD(g, "Certificate", "certificates", versions=v, short=("cert", "certs")),
            CRD(g, "CertificateRequest", "certificaterequests", versions=v, short=("cr", "crs")),
            CRD(g, "Issuer", "issuers", versions=v),
            CRD(g, "ClusterIssuer", "clusterissuers", scope="Cluster", versions=v),
            CRD("acme.cert-manager.io", "Order", "orders", versions=v),
            CRD("acme.cert-manager.io", "Challenge", "challenges", versions=v)]


def eso_crds() -> list:
    g, v = "external-secrets.io", ("v1",)
    return [CRD(g, "ExternalSecret", "externalsecrets", versions=v, short=("es",)),
            CRD(g, "ClusterExternalSecret", "clusterexternalsecrets", scope="Cluster", versions=v, short=("ces",)),
            CRD(g, "SecretStore", "secretstores", versions=v, short=("ss",)),
            CRD(g, "ClusterSecretStore", "clustersecretstores", scope="Cluster", versions=v, short=("css",))]


# --------------------------------------------------------------------------
# the catalog of stand-ins

CP_NS = "openchoreo-control-plane"

CHARTS = [
    Chart("cert-manager", "v1.19.4", "cert-manager",
          workloads=[W("cert-manager", port=9402), W("cert-manager-webhook", port=443), W("cert-manager-cainjector", port=None)],
          crds=cert_manager_crds(), crd_cond="crds.enabled", crd_keep="crds.keep",
          values={"crds": {"enabled": False, "keep": True}, "startupapicheck": {"enabled": True}},
          notes="CRDs only with `crds.enabled=true`. No webhook configurations (nothing serves them under KWOK). "
                "A post-install hook Job `cert-manager-startupapicheck` runs like the real one (KWOK completes it)."),
    Chart("external-secrets", "v2.0.1", "external-secrets",
          workloads=[W("external-secrets"), W("external-secrets-webhook", port=443), W("external-secrets-cert-controller", port=None)],
          crds=eso_crds(), crd_cond="installCRDs", values={"installCRDs": True},
          notes="CRDs only with `installCRDs=true` (the default, like the real chart). No webhook configurations. "
                "The operator is played by the KWOK Stages of tests/sandbox/stages/11-external-secrets.yaml: "
                "an ExternalSecret becomes Ready only while its store exists (else Ready=False, "
                "SecretSyncedError, looked at again every ~5 s)."),
    Chart("kgateway-crds", "v2.3.1", CP_NS,
          crds=[CRD("gateway.kgateway.dev", k, p, versions=("v1alpha1",)) for k, p in (
              ("GatewayParameters", "gatewayparameters"), ("TrafficPolicy", "trafficpolicies"),
              ("Backend", "backends"), ("DirectResponse", "directresponses"),
              ("HTTPListenerPolicy", "httplistenerpolicies"), ("GatewayExtension", "gatewayextensions"))]),
    Chart("kgateway", "v2.3.1", CP_NS,
          workloads=[W("kgateway", port=9977)],
          notes="Needs the Gateway API CRDs (GatewayClass). Creates GatewayClass `kgateway` "
                "(controllerName kgateway.dev/kgateway); a KWOK Stage accepts it and programs its Gateways."),
    Chart("openbao", "v2.4.4", "openbao",
          # The server's StatefulSet and Services are hand-written (src/openbao/templates/server.yaml).
          workloads=[W("openbao-agent-injector", cond="injector.enabled", port=8080)],
          values={"server": {
                      "image": {"registry": "quay.io", "repository": "openbao/openbao", "tag": ""},
                      "dev": {"enabled": False, "devRootToken": "root"},
                      "standalone": {"enabled": "-", "config": ""},
                      "ha": {"enabled": False, "replicas": 3, "raft": {"enabled": False, "config": ""}},
                      "dataStorage": {"enabled": True, "size": "10Gi", "mountPath": "/openbao/data"},
                      "postStart": [], "volumes": None, "volumeMounts": None},
                  "injector": {"enabled": True}},
          notes="StatefulSet `openbao` (replicas: `server.ha.replicas` in HA mode, else 1) without "
                "volumeClaimTemplates (no provisioner in the sandbox); Services `openbao`, `openbao-internal` "
                "(headless) and, in HA mode, `openbao-active`; server pods carry `app.kubernetes.io/name=openbao` "
                "and `component=server`, and the values' volumes, volumeMounts and postStart hook. Nothing "
                "initialises or unseals anything: choreoctl's openbao-init Job completes like every Job (KWOK) "
                "and the sandbox stage `16-openbao.yaml` writes a placeholder `openbao-unseal` Secret."),
    Chart("thunder", "0.28.0", "thunder",
          workloads=[W("thunder", port=8090)],
          values={"setup": {"enabled": True}, "ingress": {"enabled": True},
                  "httproute": {"enabled": False, "parentRefs": [{"name": "thunder-gateway"}], "hostnames": []}},
          notes="A pre-install hook Job `thunder-setup` stands in for the bootstrap job (KWOK completes it). "
                "Ingress `thunder` with `ingress.enabled` (the default), HTTPRoute `thunder` with `httproute.enabled` "
                "(its `parentRefs` and `hostnames` as given)."),
    Chart("openchoreo-control-plane", "v1.2.3", CP_NS,
          workloads=[W("controller-manager", port=8080), W("openchoreo-api", port=8080),
                     W("backstage", cond="backstage.enabled", port=7007), W("cluster-gateway", port=8443)],
          crds=plane_crds(), crd_dir=True, shared=("gateway.yaml",),
          values={
              "gateway": {"enabled": True, "gatewayClassName": "kgateway", "httpPort": 80, "httpsPort": 443,
                          "tls": {"enabled": False, "hostname": "*.openchoreo.invalid", "certificateRefs": []}},
              "openchoreoApi": {"enabled": True, "http": {"enabled": True, "hostnames": ["api.openchoreo.invalid"]},
                                "config": {"server": {"publicUrl": "http://api.openchoreo.invalid"}}},
              "backstage": {"enabled": True, "baseUrl": "http://openchoreo.invalid", "secretName": "",
                            "http": {"enabled": True, "hostnames": ["openchoreo.invalid"]},
                            "auth": {"redirectUrls": []}},
              "security": {"enabled": True, "oidc": {"issuer": "http://thunder.openchoreo.invalid", "jwksUrl": "",
                                                      "authorizationUrl": "", "tokenUrl": ""}},
              "clusterGateway": {"tls": {"dnsNames": ["cluster-gateway.openchoreo-control-plane.svc"],
                                         "issuerRef": {"name": ""}},
                                 "service": {"type": "ClusterIP"}, "internalMtls": {"enabled": True},
                                 "tlsRoute": {"enabled": False, "hosts": []}},
              "features": {"secretManagement": {"enabled": True}},
          },
          notes="CRDs in `crds/` (helm installs them once, never upgrades them). `templates/validate.yaml` fails the "
                "render while a hostname still holds `.invalid` or `backstage.secretName` is empty, like the real chart. "
                "TLSRoute `cluster-gateway` with `clusterGateway.tlsRoute.enabled`, one hostname per `hosts[].host` "
                "(plain strings fail the render, as in the real chart). "
                "Certificate `cluster-gateway-ca` and Secret `cluster-gateway-ca` (real generated CA, kept across "
                "upgrades); ConfigMap `cluster-gateway-ca` is only a placeholder the installer must overwrite."),
    Chart("openchoreo-data-plane", "v1.2.3", "openchoreo-data-plane",
          shared=("cluster-agent-tls.yaml", "deployment-cluster-agent.yaml", "gateway.yaml"),
          values={"clusterAgent": {"enabled": True, "serverUrl": "wss://cluster-gateway.openchoreo-control-plane.svc.cluster.local:8443/ws",
                                   "planeID": "default", "extraEnvs": [],
                                   "tls": {"generateCerts": True, "serverCAConfigMap": "cluster-gateway-ca", "caSecretName": "",
                                           "duration": "2160h", "renewBefore": "360h"}},
                  "gateway": {"enabled": True, "gatewayClassName": "kgateway", "httpPort": 19080, "httpsPort": 19443,
                              "tls": {"enabled": False, "hostname": "*.openchoreoapis.invalid", "certificateRefs": []},
                              "tlsPassthrough": {"enabled": False}},
                  "networking": {"enabled": True}},
          notes="Gateway `gateway-default` needs the Gateway API CRDs (and kgateway for it to be programmed)."),
    Chart("openchoreo-workflow-plane", "v1.2.3", "openchoreo-workflow-plane",
          workloads=[W("argo-server", cond="argo-workflows.server.enabled", port=2746),
                     W("argo-workflow-controller", port=9090)],
          shared=("cluster-agent-tls.yaml", "deployment-cluster-agent.yaml"),
          values={"clusterAgent": {"enabled": True, "serverUrl": "wss://cluster-gateway.openchoreo-control-plane.svc.cluster.local:8443/ws",
                                   "planeID": "default", "extraEnvs": [],
                                   "tls": {"generateCerts": True, "serverCAConfigMap": "cluster-gateway-ca", "caSecretName": "",
                                           "duration": "2160h", "renewBefore": "360h"}},
                  "argo-workflows": {"fullnameOverride": "argo", "workflowNamespaces": ["argo-build"],
                                     "server": {"enabled": True, "serviceType": "ClusterIP", "servicePort": 2746, "authModes": ["server"]}}},
          crds=[CRD("argoproj.io", k, p, versions=("v1alpha1",), scope=s) for k, p, s in (
              ("ClusterWorkflowTemplate", "clusterworkflowtemplates", "Cluster"),
              ("WorkflowTemplate", "workflowtemplates", "Namespaced"), ("Workflow", "workflows", "Namespaced"),
              ("CronWorkflow", "cronworkflows", "Namespaced"))],
          crd_jobs="argo-workflows-crds",
          notes="argo-workflows is bundled in the real chart (`fullnameOverride: argo`), so its Deployments are "
                "`argo-server` and `argo-workflow-controller`. Like the real chart, Argo's CRDs are created "
                "asynchronously by Jobs (`argo-workflows-crds-<plural>`): under KWOK a Stage "
                "(tests/sandbox/stages/17-crd-jobs.yaml) creates each CRD ~5s after its Job, after helm has returned."),
    Chart("openchoreo-observability-plane", "v1.2.3", "openchoreo-observability-plane",
          workloads=[W("controller-manager", port=8080), W("observer", port=8080)],
          shared=("cluster-agent-tls.yaml", "deployment-cluster-agent.yaml", "gateway.yaml"),
          crds=[CRD("openchoreo.dev", "ObservabilityAlertRule", "observabilityalertrules", versions=("v1alpha1",))], crd_dir=True,
          values={"global": {"imageRegistry": "", "installationMode": "singleCluster"},
                  "gateway": {"enabled": True, "gatewayClassName": "kgateway", "httpPort": 80, "httpsPort": 443,
                              "tls": {"enabled": False, "hostname": "*.openchoreo.invalid", "certificateRefs": []},
                              "tlsPassthrough": {"enabled": False, "hostname": "", "port": 11443}},
                  "clusterAgent": {"enabled": True, "serverUrl": "wss://cluster-gateway.openchoreo-control-plane.svc.cluster.local:8443/ws",
                                   "planeID": "default", "extraEnvs": [],
                                   "tls": {"generateCerts": True, "serverCAConfigMap": "cluster-gateway-ca", "caSecretName": "",
                                           "duration": "2160h", "renewBefore": "360h"}},
                  "observer": {"controlPlaneApiUrl": "http://openchoreo-api.openchoreo-control-plane.svc.cluster.local:8080",
                               "secretName": "observer-secret", "http": {"hostnames": []}, "cors": {"allowedOrigins": []},
                               "extraEnvs": []},
                  "rca": {"enabled": False}, "finOpsAgent": {"enabled": False}},
          notes="The render rejects `.invalid` in `observer.controlPlaneApiUrl` and an unknown `global.installationMode`. "
                "Gateway `gateway-default` with listener `tls` (TLS passthrough, `gateway.tlsPassthrough.*`) when enabled; "
                "unlike the real chart, the HTTPS listener is off by default (the real default is on, with a `.invalid` "
                "placeholder hostname and no certificate)."),
    Chart("observability-logs-opensearch", "0.5.3", "openchoreo-observability-plane",
          workloads=[W("opensearch-master", kind="StatefulSet", cond="openSearch.enabled", port=9200,
                       env="openSearch.extraEnvs"),
                     W("logs-adapter", cond="adapter.enabled", port=9097),
                     W("fluent-bit", kind="DaemonSet", cond="fluent-bit.enabled", port=None)],
          values={"openSearch": {"enabled": True,
                                 "extraEnvs": [{"name": "OPENSEARCH_INITIAL_ADMIN_PASSWORD", "value": "sandbox-only"}]},
                  "openSearchCluster": {"enabled": False},
                  "openSearchSetup": {"enabled": True, "openSearchSecretName": "",
                                      "dataRetentionTime": {"containerLogs": "30d", "k8sEvents": "30d"}},
                  "adapter": {"enabled": True, "openSearchSecretName": ""},
                  "fluent-bit": {"enabled": False, "openSearchHost": "opensearch", "openSearchPort": 9200,
                                 "openSearchVHost": "opensearch"}},
          notes="`opensearch-master` has no PVC here; its env is `openSearch.extraEnvs`. Like the real chart, the render "
                "fails when `openSearchSetup.enabled` and `openSearchSetup.openSearchSecretName` is empty; the "
                "post-install Job `opensearch-setup` reads that Secret and `dataRetentionTime`. Deployment "
                "`logs-adapter` with `adapter.enabled`. DaemonSet `fluent-bit` and its ConfigMap (output host, port, "
                "vhost from `fluent-bit.openSearch*`) only with `fluent-bit.enabled=true`. `openSearchCluster` "
                "(the operator-managed cluster) is declared off and not simulated."),
    Chart("observability-metrics-prometheus", "0.7.0", "openchoreo-observability-plane",
          workloads=[W("prometheus-operator", port=8080)],
          crds=[CRD("monitoring.coreos.com", k, p) for k, p in (
              ("Prometheus", "prometheuses"), ("Alertmanager", "alertmanagers"), ("ServiceMonitor", "servicemonitors"),
              ("PodMonitor", "podmonitors"), ("PrometheusRule", "prometheusrules"))], crd_dir=True,
          values={"kube-prometheus-stack": {"prometheus": {"prometheusSpec": {"retention": "10d"},
                                                           "additionalServiceMonitors": []}}},
          notes="`Prometheus` takes `kube-prometheus-stack.prometheus.prometheusSpec.retention`; each entry of "
                "`kube-prometheus-stack.prometheus.additionalServiceMonitors` becomes a ServiceMonitor. "
                "Like the real kube-prometheus-stack, the chart creates `Prometheus` and `Alertmanager` objects named "
                "`openchoreo-observability`; the StatefulSets `prometheus-openchoreo-observability` and "
                "`alertmanager-openchoreo-observability` appear a few seconds AFTER helm returns, created by a KWOK "
                "Stage that plays prometheus-operator (tests/sandbox/stages/prometheus-operator.yaml)."),
    Chart("observability-tracing-opensearch", "0.5.0", "openchoreo-observability-plane",
          workloads=[W("opentelemetry-collector", port=4317),
                     W("opensearch-master", kind="StatefulSet", cond="openSearch.enabled", port=9200)],
          values={"openSearch": {"enabled": True},
                  "openSearchSetup": {"enabled": True, "openSearchSecretName": "",
                                      "dataRetentionTime": {"traces": "30d"}}},
          notes="Like the real chart, the render fails when `openSearchSetup.enabled` and "
                "`openSearchSetup.openSearchSecretName` is empty; the post-install Job `opensearch-setup` reads them."),
    Chart("observability-events-otel-collector", "0.1.1", "openchoreo-observability-plane",
          workloads=[W("events-collector", port=4317, replicas="collector.replicaCount", env="collector.extraEnv")],
          values={"collector": {"replicaCount": 1, "extraEnv": []}, "extraExtensions": {},
                  "exporters": {"debug": {"verbosity": "detailed"}}, "pipelineExporters": ["debug"]},
          notes="ConfigMap `events-collector-config` holds the collector configuration built from `extraExtensions`, "
                "`exporters` and `pipelineExporters` like the real one; the render fails when a pipeline exporter "
                "is not defined (the real collector would not start)."),
    Chart("cilium", "1.19.1", "kube-system",
          workloads=[W("cilium", kind="DaemonSet", port=None, labels={"k8s-app": "cilium"}),
                     W("cilium-envoy", kind="DaemonSet", cond="envoy.enabled", port=None),
                     W("cilium-operator", port=None, replicas=1),
                     W("hubble-relay", cond="hubble.relay.enabled", port=4245)],
          crds=[CRD("cilium.io", k, p, versions=("v2",), scope=s) for k, p, s in (
              ("CiliumNetworkPolicy", "ciliumnetworkpolicies", "Namespaced"),
              ("CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicies", "Cluster"),
              ("CiliumNodeConfig", "ciliumnodeconfigs", "Namespaced"))],
          crd_cond="operator.enabled", crd_jobs="cilium-operator-crd",
          values={"operator": {"enabled": True, "replicas": 1}, "envoy": {"enabled": True},
                  "hubble": {"enabled": True, "relay": {"enabled": False}, "metrics": {"enabled": []}},
                  "kubeProxyReplacement": False, "routingMode": "tunnel", "tunnelProtocol": "vxlan"},
          notes="The real operator registers the cilium.io CRDs at run time, after helm returns; the stand-in "
                "creates one Job per CRD (`cilium-operator-crd-<plural>`, with `operator.enabled`) and a KWOK Stage "
                "(tests/sandbox/stages/17-crd-jobs.yaml) creates the CRD ~5s later "
                "(scope fixed: ciliumclusterwidenetworkpolicies is cluster-scoped)."),
    Chart("argo-cd", "v3.3.0", "argocd",
          workloads=[W("argocd-server", port=8080), W("argocd-repo-server", port=8081),
                     W("argocd-application-controller", kind="StatefulSet", port=8082), W("argocd-redis", port=6379)],
          crds=argo_cd_crds(),
          crd_cond="crds.install", crd_keep="crds.keep", values={"crds": {"install": True, "keep": True}},
          notes="Application and ApplicationSet CRDs carry closed schemas: the real CRDs' required fields and "
                "every field choreoctl's Argo CD export writes (server-side dry-run with strict validation)."),
    Chart("flux2", "2.7.0", "flux-system",
          workloads=[W("source-controller", port=9090), W("kustomize-controller", port=None),
                     W("helm-controller", cond="helmController.create", port=None),
                     W("notification-controller", cond="notificationController.create", port=9090),
                     W("image-automation-controller", cond="imageAutomationController.create", port=None),
                     W("image-reflector-controller", cond="imageReflectionController.create", port=None)],
          crds=flux_crds(),
          crd_cond="installCRDs",
          values={"installCRDs": True, "helmController": {"create": True}, "notificationController": {"create": True},
                  "imageAutomationController": {"create": True}, "imageReflectionController": {"create": True}},
          notes="OpenChoreo installs it with only the source and kustomize controllers (the other `*.create=false`). "
                "The CRDs (HelmRelease included) carry closed schemas: the real CRDs' required fields and every field "
                "choreoctl's Flux export writes (server-side dry-run with strict validation)."),
    Chart("argo-events", "v1.9.10", "argo-events",
          workloads=[W("argo-events-controller-manager", port=None)],
          crds=[CRD("argoproj.io", k, p, versions=("v1alpha1",)) for k, p in (
              ("EventBus", "eventbus"), ("EventSource", "eventsources"), ("Sensor", "sensors"))],
          crd_cond="crds.install", crd_keep="crds.keep", values={"crds": {"install": True, "keep": True}}),
    Chart("keda", "2.20.1", "keda",
          workloads=[W("keda-operator", port=9666), W("keda-operator-metrics-apiserver", port=443),
                     W("keda-admission-webhooks", port=9443)],
          crds=[CRD("keda.sh", k, p, versions=("v1alpha1",), scope=s) for k, p, s in (
              ("ScaledObject", "scaledobjects", "Namespaced"), ("ScaledJob", "scaledjobs", "Namespaced"),
              ("TriggerAuthentication", "triggerauthentications", "Namespaced"),
              ("ClusterTriggerAuthentication", "clustertriggerauthentications", "Cluster"))],
          crd_cond="crds.install", values={"crds": {"install": True}},
          notes="No APIService for external.metrics.k8s.io: nothing would serve it under KWOK and an unavailable "
                "aggregated API breaks discovery for every client."),
    Chart("keda-add-ons-http", "0.14.1", "keda",
          workloads=[W("keda-add-ons-http-interceptor", port=8080), W("keda-add-ons-http-external-scaler", port=9090),
                     W("keda-add-ons-http-controller-manager", port=8443)],
          crds=[CRD("http.keda.sh", "HTTPScaledObject", "httpscaledobjects", versions=("v1alpha1",))],
          crd_cond="crds.install", values={"crds": {"install": True}}),
    Chart("harbor", "2.14.2", "harbor",
          workloads=[W("harbor-core", port=8080), W("harbor-registry", port=5000), W("harbor-portal", port=8080),
                     W("harbor-jobservice", port=8080)],
          values={"persistence": {"enabled": False}, "expose": {"type": "clusterIP"}},
          notes="No database/redis StatefulSets (the real ones claim PVCs)."),
    Chart("docker-registry", "3.0.0", "openchoreo-workflow-plane",
          workloads=[W("docker-registry", port=5000)],
          notes="Real Deployment name is `<release>-docker-registry` unless the release is named `docker-registry`."),
    Chart("gateway-helm", "v1.8.1", "envoy-gateway-system",
          workloads=[W("envoy-gateway", port=18000)],
          crds=[CRD("gateway.envoyproxy.io", k, p, versions=("v1alpha1",)) for k, p in (
              ("EnvoyProxy", "envoyproxies"), ("BackendTrafficPolicy", "backendtrafficpolicies"),
              ("ClientTrafficPolicy", "clienttrafficpolicies"), ("SecurityPolicy", "securitypolicies"))],
          crd_dir=True,
          notes="The real chart also ships the Gateway API CRDs in crds/; the stand-in does not (they come from the "
                "Gateway API manifest)."),
    Chart("ai-gateway-crds-helm", "v1.0.0", "envoy-ai-gateway-system",
          crds=[CRD("aigateway.envoyproxy.io", k, p, versions=("v1alpha1",)) for k, p in (
              ("AIGatewayRoute", "aigatewayroutes"), ("AIServiceBackend", "aiservicebackends"),
              ("BackendSecurityPolicy", "backendsecuritypolicies"))]),
    Chart("ai-gateway-helm", "v1.0.0", "envoy-ai-gateway-system",
          workloads=[W("ai-gateway-controller", port=9443)]),
]



# --------------------------------------------------------------------------
# stand-in manifests

def gateway_api_manifest(version: str) -> str:
    """Stand-in for gateway-api's standard-install.yaml (CRDs only, minimal schemas)."""
    g = "gateway.networking.k8s.io"
    ann = {"gateway.networking.k8s.io/bundle-version": version,
           "gateway.networking.k8s.io/channel": "standard",
           # *.k8s.io groups are protected: the API server requires this annotation.
           "api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/gateway-api",
           "choreoctl.dev/stand-in": "true"}
    crds = [CRD(g, "GatewayClass", "gatewayclasses", scope="Cluster", versions=("v1", "v1beta1"), short=("gc",),
                spec_schema={"controllerName": STR}, spec_required=("controllerName",), annotations=ann),
            CRD(g, "Gateway", "gateways", versions=("v1", "v1beta1"), short=("gtw",),
                spec_schema={"gatewayClassName": STR, "listeners": {"type": "array", "items": {
                    "type": "object", "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"name": STR, "port": {"type": "integer"}, "protocol": STR, "hostname": STR}}}},
                spec_required=("gatewayClassName", "listeners"), annotations=ann,
                status_schema={"addresses": {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                               "listeners": {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}),
            CRD(g, "HTTPRoute", "httproutes", versions=("v1", "v1beta1"), annotations=ann),
            CRD(g, "GRPCRoute", "grpcroutes", versions=("v1",), annotations=ann),
            CRD(g, "ReferenceGrant", "referencegrants", versions=("v1beta1",), short=("refgrant",), annotations=ann),
            CRD(g, "TLSRoute", "tlsroutes", versions=("v1", "v1alpha2"), annotations=ann)]
    head = (f"# Stand-in for the Gateway API {version} standard-install.yaml (choreoctl test sandbox).\n"
            "# Same CRD names, group and bundle-version annotation; minimal schemas. Generated by tests/charts/gen.py.\n")
    return head + "---\n" + crds_yaml(crds)


def calico_manifest() -> str:
    """src/_manifests/calico.yaml (workloads, ConfigMap) plus a few crd.projectcalico.org CRDs."""
    crds = [CRD("crd.projectcalico.org", k, p, scope=s) for k, p, s in (
        ("IPPool", "ippools", "Cluster"), ("FelixConfiguration", "felixconfigurations", "Cluster"),
        ("NetworkPolicy", "networkpolicies", "Namespaced"), ("GlobalNetworkPolicy", "globalnetworkpolicies", "Cluster"))]
    return read(os.path.join(SRC, "_manifests", "calico.yaml")) + "---\n" + crds_yaml(crds)


# --------------------------------------------------------------------------
# entry points

def generate(out: str, pins: dict[str, Pin]) -> None:
    """Writes every stand-in chart and manifest under out."""
    names = [c.name for c in CHARTS]
    duplicates = {n for n in names if names.count(n) > 1}
    unpinned = sorted(set(names) - set(pins))
    strays = sorted(d for d in os.listdir(SRC) if not d.startswith("_") and d not in names)
    if duplicates or unpinned or strays:
        sys.exit(f"gen.py: charts listed twice: {sorted(duplicates)}; charts no release pins: {unpinned}; "
                 f"src/ directories of no chart: {strays}")
    gateway_api = pins["gateway-api"].version
    write(os.path.join(out, "manifests", "gateway-api", gateway_api, "standard-install.yaml"),
          gateway_api_manifest(gateway_api))
    write(os.path.join(out, "manifests", "calico", "calico.yaml"), calico_manifest())
    for c in CHARTS:
        gen_chart(c, pins[c.name], out)


def tree(root: str) -> dict[str, str]:
    """Relative path -> content of every generated-looking file under root."""
    files = {}
    for entry in sorted(set(os.listdir(root)) - NOT_GENERATED):
        for dirpath, _, names in os.walk(os.path.join(root, entry)):
            for name in names:
                path = os.path.join(dirpath, name)
                files[os.path.relpath(path, root)] = read(path)
    return files


def check(pins: dict[str, Pin]) -> int:
    """Generates into a temporary directory and compares with the committed files."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp, pins)
        want, have = tree(tmp), tree(HERE)
    problems = []
    for path in sorted(want.keys() | have.keys()):
        if path not in have:
            problems.append(f"missing: tests/charts/{path}\n")
        elif path not in want:
            problems.append(f"not generated: tests/charts/{path}\n")
        elif want[path] != have[path]:
            diff = difflib.unified_diff(have[path].splitlines(keepends=True), want[path].splitlines(keepends=True),
                                        f"committed/{path}", f"generated/{path}")
            problems.append("".join(list(diff)[:40]))
    if problems:
        sys.stderr.write("".join(problems))
        sys.stderr.write(f"gen.py --check: {len(problems)} file(s) under tests/charts differ from what the generator "
                         f"produces; run `python3 tests/charts/gen.py` and commit the result\n")
        return 1
    print(f"gen.py --check: {len(CHARTS)} charts and the manifests match the generator")
    return 0


def main(argv: list[str]) -> int:
    pins = read_pins()
    if argv == ["--check"]:
        return check(pins)
    if argv == ["--pins"]:
        for name, pin in sorted(pins.items()):
            print(name, pin.version)
        return 0
    if argv:
        sys.stderr.write("usage: gen.py [--check | --pins]\n")
        return 2
    generate(HERE, pins)
    # A chart dropped from the table leaves its old directory behind: remove it.
    names = {c.name for c in CHARTS} | {"manifests"}
    for entry in sorted(set(os.listdir(HERE)) - NOT_GENERATED - names):
        if os.path.isfile(os.path.join(HERE, entry, "Chart.yaml")):
            shutil.rmtree(os.path.join(HERE, entry))
            print(f"removed {entry} (no longer in the table)")
    print(f"generated {len(CHARTS)} charts under {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
