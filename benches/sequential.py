#!/usr/bin/env python3
"""Runs a choreoctl plan one step at a time with plain helm and kubectl.

This is the baseline of benches/install.sh: what OpenChoreo's quick-start script does (one
`helm upgrade --install --wait` after another, `kubectl apply`, `kubectl wait`, values read with
`kubectl get` and pasted into the next command), driven by the same plan choreoctl executes
(`choreoctl plan -o json`), so both install exactly the same releases, objects and waits.

    sequential.py PLAN.json HELM KUBECTL [--times FILE]

Prints one line per step (`<seconds> <step id>`) on stderr and the total on stdout. With
--times, writes `{step id: seconds}` as JSON (benches/install.sh computes the plan's critical
path from it).
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import time


def kubectl_ref(resource):
    """`kind.version.group/name` as kubectl takes it, and its namespace flag."""
    api_version = resource["apiVersion"]
    kind = resource["kind"]
    if "/" in api_version:
        group, version = api_version.split("/", 1)
        what = f"{kind}.{version}.{group}/{resource['name']}"
    else:
        what = f"{kind}/{resource['name']}"
    namespace = ["-n", resource["namespace"]] if resource.get("namespace") else []
    return what, namespace


def context_flags(step):
    flags = []
    if step.get("context"):
        flags += ["--context", step["context"]]
    if step.get("kubeconfig"):
        flags += ["--kubeconfig", os.path.expanduser(step["kubeconfig"])]
    return flags


def substitute(value, outputs):
    """Pastes values read earlier over their placeholders (what a script does with sed)."""
    if isinstance(value, str):
        for placeholder, text in outputs.items():
            value = value.replace(placeholder, text)
        return value
    if isinstance(value, list):
        return [substitute(item, outputs) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, outputs) for key, item in value.items()}
    return value


def run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{result.stderr}")
    return result.stdout


def helm_step(step, helm, work, outputs):
    chart = step["chart"]
    values = os.path.join(work, step["id"].replace("/", "_") + ".values.json")
    with open(values, "w") as out:
        json.dump(substitute(step.get("values") or {}, outputs), out)
    argv = [helm, "upgrade", "--install", step["release"], chart["reference"],
            "--version", step["version"], "--namespace", step["namespace"],
            "--create-namespace", "--values", values]
    if chart.get("repo"):
        argv += ["--repo", chart["repo"]]
    if chart.get("plainHttp"):
        argv.append("--plain-http")
    if step.get("context"):
        argv += ["--kube-context", step["context"]]
    if step.get("kubeconfig"):
        argv += ["--kubeconfig", os.path.expanduser(step["kubeconfig"])]
    options = step.get("helm") or {}
    if options.get("wait"):
        argv += ["--wait", "--timeout", f"{options.get('timeout', 300)}s"]
    run(argv)


def apply_step(step, kubectl, work, outputs):
    manifest = step["manifest"]
    argv = [kubectl, *context_flags(step), "apply", "--server-side", "--force-conflicts",
            "--field-manager", "sequential-bench"]
    if "url" in manifest:
        run(argv + ["-f", manifest["url"]])
        return
    path = os.path.join(work, step["id"].replace("/", "_") + ".json")
    with open(path, "w") as out:
        json.dump({"apiVersion": "v1", "kind": "List",
                   "items": substitute(manifest["objects"], outputs)}, out)
    run(argv + ["-f", path])


def wait_step(step, kubectl):
    wait = step["wait"]
    what, namespace = kubectl_ref(wait["resource"])
    base = [kubectl, *context_flags(step), *namespace]
    deadline = time.monotonic() + wait.get("timeout", 300)
    # kubectl wait fails at once on an object that does not exist yet: poll for it first.
    while subprocess.run(base + ["get", what], capture_output=True).returncode != 0:
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for {what} to exist")
        time.sleep(1)
    remaining = f"{max(1, int(deadline - time.monotonic()))}s"
    condition = wait["condition"]
    if condition == "Exists":
        return
    if condition == "RolledOut":
        run(base + ["rollout", "status", what, f"--timeout={remaining}"])
    else:
        run(base + ["wait", f"--for=condition={condition}", what, f"--timeout={remaining}"])


def read_step(step, kubectl, outputs):
    read = step["read"]
    what, namespace = kubectl_ref(read["resource"])
    key = read["key"].replace(".", "\\.")
    text = run([kubectl, *context_flags(step), *namespace, "get", what,
                "-o", f"jsonpath={{.data.{key}}}"])
    if read["resource"]["kind"] == "Secret":
        text = base64.b64decode(text).decode()
    outputs[read["placeholder"]] = text


def main():
    args = sys.argv[1:]
    times_file = None
    if "--times" in args:
        at = args.index("--times")
        times_file = args[at + 1]
        del args[at:at + 2]
    if len(args) != 3:
        sys.exit(__doc__)
    plan_file, helm, kubectl = args
    plan = json.load(open(plan_file))
    outputs, times = {}, {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as work:
        os.chmod(work, 0o700)
        for step in plan["steps"]:
            t0 = time.monotonic()
            kind = step["kind"]
            if kind == "helm":
                helm_step(step, helm, work, outputs)
            elif kind == "apply":
                apply_step(step, kubectl, work, outputs)
            elif kind == "wait":
                wait_step(step, kubectl)
            elif kind == "read":
                read_step(step, kubectl, outputs)
            times[step["id"]] = time.monotonic() - t0
            print(f"{times[step['id']]:6.1f} {step['id']}", file=sys.stderr)
    if times_file:
        with open(times_file, "w") as out:
            json.dump(times, out)
    print(f"{time.monotonic() - started:.1f}")


if __name__ == "__main__":
    main()
