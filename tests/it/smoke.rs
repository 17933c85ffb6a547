//! Smoke test of the sandbox itself (tests/sandbox, docs/sandbox.md): three real control planes,
//! KWOK nodes that are Ready, a chart installed from the loopback OCI registry into every context,
//! DaemonSets, and a drain through the Eviction API against a PodDisruptionBudget.
//!
//! Every test uses its own namespace (and the drain test its own, tainted nodes), because all the
//! tests of this binary share one sandbox and run in parallel.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Client;
use kube::api::{Api, DeleteParams, EvictParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::sandbox::{
    CONTEXTS, NODES, QUIET_CONTEXTS, eventually, eventually_explained, repo_root, run, sandbox,
    script_command, tear_down_at_exit, up_command,
};

const WAIT: Duration = Duration::from_secs(90);

async fn ensure_namespace(client: &Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    // A namespace left over from an interrupted run may still be terminating: wait it out.
    let api_r = &api;
    eventually(
        WAIT,
        &format!("namespace {name} not terminating"),
        || async move {
            match api_r.get_opt(name).await.ok()? {
                Some(ns) if ns.metadata.deletion_timestamp.is_some() => None,
                _ => Some(()),
            }
        },
    )
    .await;
    let ns = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    match api.create(&PostParams::default(), &ns).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.is_already_exists() => {}
        Err(e) => panic!("creating namespace {name}: {e}"),
    }
}

/// Deletes object `name` (if it exists) and waits until it is gone.
async fn delete_and_wait<K>(api: &Api<K>, name: &str)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match api.delete(name, &DeleteParams::default()).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => return,
        Err(e) => panic!("deleting {name}: {e}"),
    }
    eventually(WAIT, &format!("{name} deleted"), || async move {
        matches!(api.get_opt(name).await, Ok(None)).then_some(())
    })
    .await;
}

fn node_ready(n: &Node) -> bool {
    n.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn untainted(n: &Node) -> bool {
    let tainted = n
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .is_some_and(|t| {
            t.iter()
                .any(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        });
    let unschedulable = n
        .spec
        .as_ref()
        .and_then(|s| s.unschedulable)
        .unwrap_or(false);
    !tainted && !unschedulable
}

#[tokio::test(flavor = "multi_thread")]
async fn smoke_three_clusters_with_ready_nodes() {
    let sb = sandbox();
    let mut seen = Vec::new();
    for ctx in CONTEXTS {
        let client = sb.client(ctx).await;
        let version = client.apiserver_version().await.expect("server version");
        // The busybox is version-stamped; helm checks charts' kubeVersion against this.
        assert_eq!(version.major, "1", "{ctx}: {version:?}");
        assert!(version.git_version.starts_with("v1."), "{ctx}: {version:?}");
        assert!(
            !version.git_version.contains("master"),
            "{ctx}: unstamped build {version:?}"
        );

        let nodes: Api<Node> = Api::all(client.clone());
        let list = nodes
            .list(&ListParams::default())
            .await
            .expect("list nodes");
        let ready = list.items.iter().filter(|n| node_ready(n)).count();
        assert!(
            ready >= NODES,
            "{ctx}: {ready} Ready nodes, want at least {NODES}"
        );
        // Distinct clusters, not three contexts on one.
        let ns: Api<Namespace> = Api::all(client);
        let uid = ns
            .get("kube-system")
            .await
            .expect("kube-system")
            .metadata
            .uid
            .unwrap();
        seen.push(uid);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen.len(),
        CONTEXTS.len(),
        "contexts must be distinct clusters"
    );

    // One kubeconfig, context names = cluster names.
    let out = run(sb
        .kubectl("cp")
        .args(["config", "get-contexts", "-o", "name"]));
    let mut names: Vec<&str> = out.lines().collect();
    names.sort_unstable();
    let mut want = [&CONTEXTS[..], &QUIET_CONTEXTS[..]].concat();
    want.sort_unstable();
    assert_eq!(names, want);
}

#[tokio::test(flavor = "multi_thread")]
async fn smoke_helm_installs_from_loopback_registry_in_every_context() {
    let sb = sandbox();
    let version = run(sb.helm().args(["version", "--template", "{{.Version}}"]));
    assert!(version.starts_with("v3."), "helm version {version}");

    for ctx in CONTEXTS {
        // thunder: a Deployment and a pre-install hook Job (KWOK completes the Job's pod).
        run(sb.helm().args([
            "upgrade",
            "--install",
            "smoke-thunder",
            &sb.chart("thunder"),
            "--version",
            "0.28.0",
            "--plain-http",
            "--kube-context",
            ctx,
            "--namespace",
            "smoke-helm",
            "--create-namespace",
            "--wait",
            "--timeout",
            "2m",
        ]));
        let client = sb.client(ctx).await;
        let deploys: Api<Deployment> = Api::namespaced(client, "smoke-helm");
        let d = deploys.get("thunder").await.expect("deployment thunder");
        let available = d.status.and_then(|s| s.available_replicas).unwrap_or(0);
        assert!(
            available >= 1,
            "{ctx}: thunder not available after helm --wait"
        );
        // Upgrading again is a no-op success (idempotent install).
        run(sb.helm().args([
            "upgrade",
            "--install",
            "smoke-thunder",
            &sb.chart("thunder"),
            "--version",
            "0.28.0",
            "--plain-http",
            "--kube-context",
            ctx,
            "--namespace",
            "smoke-helm",
            "--wait",
            "--timeout",
            "2m",
        ]));
    }

    // The manifest server serves the Gateway API stand-in.
    let url = format!("{}/gateway-api/v1.5.1/standard-install.yaml", sb.manifests);
    let body = run(std::process::Command::new("python3").args([
        "-c",
        "import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())",
        &url,
    ]));
    assert!(
        body.contains("name: gateways.gateway.networking.k8s.io"),
        "{url} is not the Gateway API stand-in"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn smoke_daemonset_runs_on_every_node() {
    let sb = sandbox();
    let client = sb.client("obs").await;
    let ns = "smoke-daemonset";
    ensure_namespace(&client, ns).await;
    let ds: DaemonSet = serde_json::from_value(json!({
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "agent", "image": "registry.example.org/agent:1"}]}
            }
        }
    }))
    .unwrap();
    let api: Api<DaemonSet> = Api::namespaced(client.clone(), ns);
    api.patch(
        "agent",
        &PatchParams::apply("smoke").force(),
        &Patch::Apply(&ds),
    )
    .await
    .expect("apply daemonset");

    let nodes: Api<Node> = Api::all(client.clone());
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let (nodes_r, pods_r, api_r) = (&nodes, &pods, &api);
    eventually(
        WAIT,
        "one ready agent pod on every schedulable node",
        || async move {
            let (nodes, pods, api) = (nodes_r, pods_r, api_r);
            let eligible: Vec<String> = nodes
                .list(&ListParams::default())
                .await
                .ok()?
                .items
                .into_iter()
                .filter(|n| node_ready(n) && untainted(n))
                .filter_map(|n| n.metadata.name)
                .collect();
            let mut on: BTreeMap<String, usize> = BTreeMap::new();
            for p in pods
                .list(&ListParams::default().labels("app=agent"))
                .await
                .ok()?
                .items
            {
                let running = p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
                if let (true, Some(node)) = (running, p.spec.and_then(|s| s.node_name)) {
                    *on.entry(node).or_default() += 1;
                }
            }
            let ok = eligible.len() >= NODES && eligible.iter().all(|n| on.get(n) == Some(&1));
            let status = api.get("agent").await.ok()?.status?;
            (ok && status.number_ready >= eligible.len() as i32).then_some(())
        },
    )
    .await;
    api.delete("agent", &DeleteParams::default())
        .await
        .expect("delete daemonset");
}

/// What the drain test's objects look like: its nodes (readiness, taints, cordon), the web pods
/// (node, phase, readiness), the PDB's status and the recent events of its namespace and nodes.
/// Printed when a wait of the drain test times out.
async fn drain_state(client: &Client, ns: &str) -> String {
    let mut out = String::new();
    let nodes: Api<Node> = Api::all(client.clone());
    match nodes.list(&ListParams::default()).await {
        Ok(list) => {
            for n in list.items {
                let spec = n.spec.clone().unwrap_or_default();
                let taints: Vec<String> = spec
                    .taints
                    .unwrap_or_default()
                    .iter()
                    .map(|t| format!("{}:{}", t.key, t.effect))
                    .collect();
                out += &format!(
                    "node {} ready={} unschedulable={} taints={taints:?}\n",
                    n.metadata.name.as_deref().unwrap_or("?"),
                    node_ready(&n),
                    spec.unschedulable.unwrap_or(false)
                );
            }
        }
        Err(e) => out += &format!("nodes: {e}\n"),
    }
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    match pods.list(&ListParams::default()).await {
        Ok(list) => {
            for p in list.items {
                let status = p.status.unwrap_or_default();
                let ready = status
                    .conditions
                    .unwrap_or_default()
                    .iter()
                    .any(|c| c.type_ == "Ready" && c.status == "True");
                out += &format!(
                    "pod {} node={:?} phase={:?} ready={ready} deleting={}\n",
                    p.metadata.name.as_deref().unwrap_or("?"),
                    p.spec.and_then(|s| s.node_name),
                    status.phase,
                    p.metadata.deletion_timestamp.is_some()
                );
            }
        }
        Err(e) => out += &format!("pods: {e}\n"),
    }
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), ns);
    match pdbs.get_opt("web").await {
        Ok(Some(pdb)) => {
            out += &format!(
                "pdb web generation={:?} status={}\n",
                pdb.metadata.generation,
                serde_json::to_string(&pdb.status).unwrap_or_default()
            )
        }
        Ok(None) => out += "pdb web: absent\n",
        Err(e) => out += &format!("pdb: {e}\n"),
    }
    for (scope, api) in [
        (ns.to_owned(), Api::<Event>::namespaced(client.clone(), ns)),
        ("nodes".to_owned(), Api::<Event>::all(client.clone())),
    ] {
        let params = if scope == "nodes" {
            ListParams::default().fields("involvedObject.kind=Node")
        } else {
            ListParams::default()
        };
        match api.list(&params).await {
            Ok(list) => {
                for e in list.items {
                    out += &format!(
                        "event [{scope}] {} {}/{}: {} (x{})\n",
                        e.reason.as_deref().unwrap_or("?"),
                        e.involved_object.kind.as_deref().unwrap_or("?"),
                        e.involved_object.name.as_deref().unwrap_or("?"),
                        e.message.as_deref().unwrap_or(""),
                        e.count.unwrap_or(1)
                    );
                }
            }
            Err(e) => out += &format!("events [{scope}]: {e}\n"),
        }
    }
    out
}

/// Drain one node through the Eviction API while a PodDisruptionBudget first blocks (429) and,
/// after scaling up, allows the eviction. Uses two extra, tainted nodes of its own so it does not
/// disturb other tests sharing the cluster.
#[tokio::test(flavor = "multi_thread")]
async fn smoke_drain_with_pdb_through_eviction_api() {
    let sb = sandbox();
    // No client-side retry of 429: the test must see the PDB's answer, not wait it out.
    let mut config = sb.config("dp1").await;
    config.default_retry = false;
    let client = Client::try_from(config).expect("client");
    let ns = "smoke-drain";
    let nodes: Api<Node> = Api::all(client.clone());
    let node_names = ["smoke-drain-a", "smoke-drain-b"];
    // A run that failed half-way against the same sandbox (CHOREOCTL_TEST_SANDBOX) leaves its
    // deployment and nodes behind: start from none of them.
    delete_and_wait(&Api::<Namespace>::all(client.clone()), ns).await;
    for n in node_names {
        delete_and_wait(&nodes, n).await;
    }
    ensure_namespace(&client, ns).await;
    for n in node_names {
        let node: Node = serde_json::from_value(json!({
            "metadata": {"name": n, "labels": {"smoke-drain": "true", "kubernetes.io/hostname": n},
                         "annotations": {"kwok.x-k8s.io/node": "fake"}},
            "spec": {"taints": [{"key": "smoke-drain", "value": "true", "effect": "NoSchedule"}]}
        }))
        .unwrap();
        nodes
            .patch(
                n,
                &PatchParams::apply("smoke").force(),
                &Patch::Apply(&node),
            )
            .await
            .expect("create node");
    }
    // Ready is not enough: the API server creates every node with the taint
    // node.kubernetes.io/not-ready:NoSchedule, and the node controller lifts it only after the node
    // turns Ready. A web pod scheduled in between sees that node as a domain the spread constraint
    // ignores (nodeTaintsPolicy: Honor), and both pods land on the other node.
    let nodes_r = &nodes;
    for n in node_names {
        eventually(
            WAIT,
            &format!("node {n} Ready and tainted with smoke-drain only"),
            || async move {
                let node = nodes_r.get(n).await.ok()?;
                let taints = node.spec.as_ref()?.taints.as_deref().unwrap_or_default();
                (node_ready(&node) && taints.iter().all(|t| t.key == "smoke-drain")).then_some(())
            },
        )
        .await;
    }

    let deploys: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let deploy: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "nodeSelector": {"smoke-drain": "true"},
                    "tolerations": [{"key": "smoke-drain", "operator": "Exists", "effect": "NoSchedule"}],
                    "topologySpreadConstraints": [{
                        "maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                        "whenUnsatisfiable": "DoNotSchedule", "nodeTaintsPolicy": "Honor", "labelSelector": {"matchLabels": {"app": "web"}}
                    }],
                    "containers": [{"name": "web", "image": "registry.example.org/web:1"}]
                }
            }
        }
    }))
    .unwrap();
    deploys
        .patch(
            "web",
            &PatchParams::apply("smoke").force(),
            &Patch::Apply(&deploy),
        )
        .await
        .expect("deployment");
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), ns);
    let pdb: PodDisruptionBudget = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}
    }))
    .unwrap();
    pdbs.patch(
        "web",
        &PatchParams::apply("smoke").force(),
        &Patch::Apply(&pdb),
    )
    .await
    .expect("pdb");

    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let ready_on = |node: &'static str| {
        let pods = pods.clone();
        async move {
            pods.list(&ListParams::default().labels("app=web"))
                .await
                .ok()
                .map(|l| {
                    l.items
                        .into_iter()
                        .filter(|p| p.metadata.deletion_timestamp.is_none())
                        .filter(|p| {
                            p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node)
                        })
                        .filter(|p| {
                            p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
                        })
                        .filter_map(|p| p.metadata.name)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
    };
    let (ready_on, pdbs_r) = (&ready_on, &pdbs);
    let victim = eventually_explained(
        WAIT,
        "a web pod on each drain node and the PDB at 0 allowed disruptions",
        || async move {
            let pdbs = pdbs_r;
            let a = ready_on("smoke-drain-a").await;
            let b = ready_on("smoke-drain-b").await;
            let st = pdbs.get("web").await.ok()?.status?;
            (a.len() == 1 && b.len() == 1 && st.current_healthy == 2 && st.disruptions_allowed == 0)
                .then(|| a[0].clone())
        },
        || drain_state(&client, ns),
    )
    .await;

    // Cordon node a.
    nodes
        .patch(
            "smoke-drain-a",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"unschedulable": true}})),
        )
        .await
        .expect("cordon");

    // The PDB blocks: 429 Too Many Requests.
    match pods.evict(&victim, &EvictParams::default()).await {
        Err(kube::Error::Api(s)) => assert_eq!(
            s.code, 429,
            "eviction blocked by the PDB must be 429: {s:?}"
        ),
        Ok(s) => {
            panic!("eviction of {victim} succeeded although the PDB allows no disruption: {s:?}")
        }
        Err(e) => panic!("eviction of {victim}: {e}"),
    }

    // Scale up: the third pod lands on node b, the PDB allows one disruption.
    deploys
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 3}})),
        )
        .await
        .expect("scale");
    eventually(
        WAIT,
        "PDB to allow a disruption after scaling",
        || async move {
            let st = pdbs_r.get("web").await.ok()?.status?;
            (st.current_healthy == 3 && st.disruptions_allowed >= 1).then_some(())
        },
    )
    .await;

    // Drain node a: evict everything of ours on it.
    for name in ready_on("smoke-drain-a").await {
        pods.evict(&name, &EvictParams::default())
            .await
            .unwrap_or_else(|e| panic!("evicting {name}: {e}"));
    }
    eventually(
        WAIT,
        "node a drained and web back at 3 running pods on node b",
        || async move {
            let a = ready_on("smoke-drain-a").await;
            let b = ready_on("smoke-drain-b").await;
            (a.is_empty() && b.len() == 3).then_some(())
        },
    )
    .await;

    // Clean up: our namespace and our nodes.
    let nsapi: Api<Namespace> = Api::all(client.clone());
    let _ = nsapi.delete(ns, &DeleteParams::default()).await;
    for n in node_names {
        let _ = nodes.delete(n, &DeleteParams::default()).await;
    }
}

/// Two sandboxes started at the same moment both come up, each with its own API server, and are
/// both torn down. (kwokctl picks a new cluster's ports by counting down from 32767, so two
/// clusters created at once used to pick the same ones and one failed with "bind: address already
/// in use".) Runs beside the shared sandbox's own `up`, so three `up`s overlap.
#[test]
fn smoke_two_sandboxes_started_at_once_both_come_up() {
    // Build (or find) the binaries first, so that both `up`s start their clusters together.
    let bin = run(&mut Command::new(
        repo_root().join("tests/sandbox/build.sh"),
    ));
    let kubectl = std::path::Path::new(bin.trim()).join("kubectl");
    let names = ["a", "b"].map(|s| format!("it-{}-pair-{s}", std::process::id()));
    for name in &names {
        tear_down_at_exit(name);
    }
    let ups: Vec<_> = names
        .iter()
        .map(|name| {
            up_command(name, &["solo"], 1)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn sandbox up")
        })
        .collect();
    for (name, up) in names.iter().zip(ups) {
        let out = up.wait_with_output().expect("wait for sandbox up");
        assert!(
            out.status.success(),
            "sandbox up --name {name} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let mut servers = Vec::new();
    for name in &names {
        let status = run(&mut script_command(&["status", "--name", name]));
        assert!(
            status.contains("cluster solo: up, 1 Ready node(s)"),
            "sandbox {name}:\n{status}"
        );
        let env = run(&mut script_command(&["env", "--name", name]));
        let kubeconfig = env
            .lines()
            .find_map(|l| l.strip_prefix("export KUBECONFIG='")?.strip_suffix('\''))
            .unwrap_or_else(|| panic!("sandbox env --name {name} has no KUBECONFIG:\n{env}"));
        servers.push(run(Command::new(&kubectl).args([
            "--kubeconfig",
            kubeconfig,
            "config",
            "view",
            "-o",
            "jsonpath={.clusters[0].cluster.server}",
        ])));
    }
    assert_ne!(servers[0], servers[1], "two sandboxes, one API server");

    for name in &names {
        let down = script_command(&["down", "--name", name])
            .output()
            .expect("sandbox down");
        let said = String::from_utf8_lossy(&down.stderr);
        assert!(
            down.status.success() && !said.contains("leftover process"),
            "sandbox down --name {name} ({}):\n{said}",
            down.status
        );
        let out = script_command(&["status", "--name", name])
            .output()
            .expect("sandbox status");
        assert!(
            !out.status.success() && String::from_utf8_lossy(&out.stdout).contains("down"),
            "sandbox {name} still there after down"
        );
    }
}
