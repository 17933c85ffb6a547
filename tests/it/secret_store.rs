//! The Secure Core's secret store (docs/catalog.md "The secret store"): OpenBao keeps its secrets
//! (storage on a volume, no dev mode, no well-known token) unless a profile asks for dev mode, and
//! the ClusterSecretStore `default` reaches it with Kubernetes auth. Every cluster with a plane
//! gets its own store; the Vault module's HA stays on the control plane's cluster. Checked on the
//! offline plan of every preset × edition and of a three-cluster profile, and on the sandbox with
//! the stand-in charts (whose External Secrets refuses an ExternalSecret without its store).

use std::fs;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fixtures::every_plan;
use crate::harness::Test;
use crate::ownership::{SECRET_STORE, SINGLE_PLANE};
use crate::sandbox::{Sandbox, run, sandbox};

/// The offline plan (`plan -o json`) of a preset on an edition.
fn plan(preset: &str, edition: &str) -> Value {
    Test::new()
        .args([
            "plan",
            "--preset",
            preset,
            "--edition",
            edition,
            "-o",
            "json",
        ])
        .run()
        .json()
}

/// The plan of a single-plane profile whose module list is `modules` (YAML list items).
fn plan_of_profile(modules: &str) -> Value {
    let profile = format!(
        "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\nmetadata: {{name: t}}\n\
         spec:\n  edition: generic\n  planes:\n    - {{name: control, type: control}}\n    \
         - {{name: local, type: data}}\n  modules:\n{modules}"
    );
    Test::new()
        .file("profile.yaml", &profile)
        .args(["plan", "--profile", "profile.yaml", "-o", "json"])
        .run()
        .json()
}

/// The plan of a profile over three clusters: the control plane on `cp`, a data plane on `dp1`,
/// the observability plane on `obs` serving it; `modules` (YAML list items) after Observe.
fn plan_of_three_clusters(modules: &str) -> Value {
    let profile = format!(
        "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\nmetadata: {{name: t}}\n\
         spec:\n  edition: generic\n  planes:\n    - {{name: control, type: control, context: cp}}\n    \
         - {{name: dev, type: data, context: dp1}}\n    \
         - {{name: obs, type: observability, context: obs, serves: [dev]}}\n  modules:\n    \
         - {{name: observe, plane: obs}}\n{modules}"
    );
    Test::new()
        .file("profile.yaml", &profile)
        .args([
            "plan",
            "--offline",
            "--profile",
            "profile.yaml",
            "-o",
            "json",
        ])
        .run()
        .json()
}

fn steps(plan: &Value) -> &Vec<Value> {
    plan["steps"].as_array().expect("a plan has steps")
}

/// The step whose id starts with `prefix` (`secure-core/openbao@`), if the plan has one.
fn step<'a>(plan: &'a Value, prefix: &str) -> Option<&'a Value> {
    steps(plan)
        .iter()
        .find(|step| step["id"].as_str().unwrap().starts_with(prefix))
}

/// The objects of an apply step.
fn objects(step: &Value) -> &Vec<Value> {
    step["manifest"]["objects"]
        .as_array()
        .expect("apply objects")
}

fn object<'a>(step: &'a Value, kind: &str, name: &str) -> &'a Value {
    objects(step)
        .iter()
        .find(|object| object["kind"] == kind && object["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind} {name} in {}", step["id"]))
}

/// What a persistent store must look like in `plan` (named `what` in messages).
fn assert_persistent(plan: &Value, what: &str) {
    let openbao = step(plan, "secure-core/openbao@").expect("an openbao release");
    let server = &openbao["values"]["server"];
    assert_eq!(server["dev"]["enabled"], false, "{what}: dev mode is off");
    assert!(
        server["dev"].get("devRootToken").is_none(),
        "{what}: no dev root token"
    );
    assert_eq!(server["dataStorage"]["enabled"], true, "{what}: a volume");
    let config = if server["ha"]["enabled"] == true {
        assert_eq!(server["ha"]["raft"]["enabled"], true, "{what}: HA on Raft");
        &server["ha"]["raft"]["config"]
    } else {
        assert_eq!(server["standalone"]["enabled"], true, "{what}: standalone");
        &server["standalone"]["config"]
    };
    let config = config.as_str().expect("a server config");
    assert!(
        config.contains("storage \"raft\"") && config.contains("path = \"/openbao/data\""),
        "{what}: storage on the data volume:\n{config}"
    );
    // Initialised in the cluster: the plan holds the Job, never a key.
    let init = step(plan, "secure-core/openbao-init@").expect("the init step");
    let job = object(init, "Job", "openbao-init");
    let image = job["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap();
    let pinned = format!(
        "{}/{}:{}",
        server["image"]["registry"].as_str().unwrap(),
        server["image"]["repository"].as_str().unwrap(),
        server["image"]["tag"].as_str().unwrap()
    );
    assert_eq!(image, pinned, "{what}: the Job runs the server's image");
    let role = object(init, "Role", "openbao-init");
    assert_eq!(
        role["rules"],
        json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]}]),
        "{what}: the Job may only create a Secret"
    );
    assert!(
        step(plan, "secure-core/openbao-initialised@").is_some(),
        "{what}: the plan waits for the Job"
    );
}

/// No fixed or well-known credential anywhere in `plan`.
fn assert_no_fixed_token(plan: &Value, what: &str) {
    let text = plan.to_string();
    for needle in [
        "devRootToken",
        "BAO_TOKEN=root",
        "VAULT_TOKEN",
        "tokenSecretRef",
        "token=root",
    ] {
        assert!(!text.contains(needle), "{what}: `{needle}` in the plan");
    }
}

/// The ClusterSecretStore `default` of `plan` authenticates to `server` with Kubernetes auth.
fn assert_kubernetes_auth(plan: &Value, server: &str, what: &str) {
    let store = step(plan, "secure-core/secret-store@").expect("the secret-store step");
    let vault = &object(store, "ClusterSecretStore", "default")["spec"]["provider"]["vault"];
    assert_eq!(vault["server"], server, "{what}");
    let auth = vault["auth"].as_object().expect("auth");
    assert_eq!(
        auth.keys().collect::<Vec<_>>(),
        ["kubernetes"],
        "{what}: Kubernetes auth only"
    );
    assert_eq!(
        vault["auth"]["kubernetes"]["serviceAccountRef"],
        json!({"name": "external-secrets-openbao", "namespace": "openbao"}),
        "{what}"
    );
    object(store, "ServiceAccount", "external-secrets-openbao");
}

#[test]
fn every_preset_and_edition_keeps_its_secrets_without_a_well_known_token() {
    for (what, plan) in every_plan() {
        assert_persistent(&plan, &what);
        assert_no_fixed_token(&plan, &what);
        let ha = plan["modules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|module| module == "vault");
        let server = if ha {
            "http://openbao-active.openbao.svc:8200"
        } else {
            "http://openbao.openbao.svc:8200"
        };
        assert_kubernetes_auth(&plan, server, &what);
    }
}

#[test]
fn dev_mode_only_when_the_profile_asks_for_it() {
    let dev = plan_of_profile("    - {name: secure-core, options: {secretStore: dev}}\n");
    let server = &step(&dev, "secure-core/openbao@").unwrap()["values"]["server"];
    assert_eq!(server["dev"]["enabled"], true);
    assert!(step(&dev, "secure-core/openbao-init@").is_none());
    assert_kubernetes_auth(&dev, "http://openbao.openbao.svc:8200", "dev");

    let explicit =
        plan_of_profile("    - {name: secure-core, options: {secretStore: persistent}}\n");
    assert_persistent(&explicit, "secretStore: persistent");

    // The Vault module's HA cluster is persistent whatever the option says.
    let vault = plan_of_profile(
        "    - {name: secure-core, options: {secretStore: dev}}\n    - name: vault\n",
    );
    assert_persistent(&vault, "vault");
    assert_eq!(
        step(&vault, "secure-core/openbao@").unwrap()["values"]["server"]["ha"]["replicas"],
        3
    );
}

/// The one instance on `context` of the step `prefix` (`secure-core/openbao@`).
fn on_context<'a>(plan: &'a Value, prefix: &str, context: &str) -> &'a Value {
    let found: Vec<&Value> = steps(plan)
        .iter()
        .filter(|step| {
            step["id"].as_str().unwrap().starts_with(prefix) && step["context"] == context
        })
        .collect();
    assert_eq!(found.len(), 1, "one {prefix} on {context}: {found:?}");
    found[0]
}

#[test]
fn every_cluster_gets_its_own_store_and_ha_stays_on_the_control_planes_cluster() {
    let plan = plan_of_three_clusters("    - name: vault\n");
    for context in ["cp", "dp1", "obs"] {
        let server = &on_context(&plan, "secure-core/openbao@", context)["values"]["server"];
        assert_eq!(server["dev"]["enabled"], false, "{context}: persistent");
        assert_eq!(
            server["ha"]["enabled"] == true,
            context == "cp",
            "{context}: HA only on the control plane's cluster: {server}"
        );
        let store = on_context(&plan, "secure-core/secret-store@", context);
        let address = if context == "cp" {
            "openbao-active"
        } else {
            "openbao"
        };
        assert_eq!(
            object(store, "ClusterSecretStore", "default")["spec"]["provider"]["vault"]["server"],
            format!("http://{address}.openbao.svc:8200"),
            "{context}"
        );
        let ready = on_context(&plan, "secure-core/secret-store-ready@", context);
        assert_eq!(ready["wait"]["resource"]["name"], "default", "{context}");
        // The observability plane's credentials are generated on its cluster only: elsewhere a
        // random password would make the collectors' ExternalSecret Ready with a wrong one.
        let generated: Vec<&Value> = steps(&plan)
            .iter()
            .filter(|step| {
                step["id"]
                    .as_str()
                    .unwrap()
                    .starts_with("secure-core/observability-secrets@")
                    && step["context"] == context
            })
            .collect();
        assert_eq!(generated.len(), usize::from(context == "obs"), "{context}");
        if let Some(step) = generated.first() {
            let job = object(step, "Job", "openbao-observability-secrets");
            let script = job["spec"]["template"]["spec"]["containers"][0]["command"][2]
                .as_str()
                .unwrap();
            assert!(
                script.contains("secret/opensearch username=admin")
                    && script.contains("secret/observer"),
                "{script}"
            );
        }
    }
    // A Job's pod template cannot change: openbao-init is the same on every cluster that is not
    // the control plane's (whatever planes share it), so installations sharing a cluster agree.
    let init = |context| {
        object(
            on_context(&plan, "secure-core/openbao-init@", context),
            "Job",
            "openbao-init",
        )["spec"]["template"]
            .clone()
    };
    assert_eq!(init("dp1"), init("obs"));
    // ExternalSecrets come after the store of their own cluster.
    let secrets = on_context(&plan, "observe/secrets@", "obs");
    assert!(
        secrets["needs"]
            .as_array()
            .unwrap()
            .contains(&json!("secure-core/secret-store-ready@obs")),
        "{secrets}"
    );
    // On the served cluster the collector waits for its credentials, and a timeout says how to
    // copy them (the one manual step), with both contexts filled in.
    let wait = on_context(&plan, "observe/collector-credentials-ready@", "dp1");
    let hint = wait["wait"]["hint"].as_str().expect("a hint");
    for expected in [
        "--context dp1 -n openbao get secret openbao-unseal",
        "--context obs -n openchoreo-observability-plane get secret opensearch-admin-credentials",
        "--context dp1 -n openbao exec -i openbao-0",
        "secret/opensearch username=admin",
        "force-sync",
    ] {
        assert!(hint.contains(expected), "`{expected}` in:\n{hint}");
    }
    let collector = on_context(&plan, "observe/collector@", "dp1");
    assert!(
        collector["needs"].as_array().unwrap().contains(&wait["id"]),
        "{collector}"
    );
}

#[test]
fn dev_mode_generates_the_observability_secrets_on_their_cluster_only() {
    let plan = plan_of_three_clusters("    - {name: secure-core, options: {secretStore: dev}}\n");
    for context in ["cp", "dp1", "obs"] {
        let hook =
            on_context(&plan, "secure-core/openbao@", context)["values"]["server"]["postStart"]
                .to_string();
        assert_eq!(
            hook.contains("secret/opensearch"),
            context == "obs",
            "{context}: {hook}"
        );
    }
    let hint = on_context(&plan, "observe/collector-credentials-ready@", "dp1")["wait"]["hint"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        hint.contains("{ echo root\n"),
        "dev mode's token is root:\n{hint}"
    );
}

fn kubectl_apply(sb: &Sandbox, dir: &std::path::Path, name: &str, objects: &[Value]) {
    let path = dir.join(name);
    fs::write(
        &path,
        json!({"apiVersion": "v1", "kind": "List", "items": objects}).to_string(),
    )
    .unwrap();
    run(sb
        .kubectl("cp")
        .args([
            "apply",
            "--server-side",
            "--field-manager",
            "choreoctl",
            "-f",
        ])
        .arg(&path));
}

fn get(sb: &Sandbox, args: &[&str]) -> Value {
    sb.kubectl_json("cp", &[&["get"], args].concat())
}

#[test]
fn sandbox_default_store_is_wired_to_the_persistent_openbao() {
    // Its releases, `external-secrets` and `openbao` on `cp`, are the single-plane preset's.
    let claim = sandbox().claim(&SINGLE_PLANE);
    let sb: &Sandbox = &claim;
    let context = claim.context("cp");
    let plan = plan("single-plane", "generic");
    let dir = tempfile::tempdir().unwrap();
    let helm_install = |release: &str, namespace: &str, values: Option<&Value>| {
        let mut helm = sb.helm();
        helm.args(["upgrade", "--install", release])
            .arg(Sandbox::chart_dir(release))
            .args(["--kube-context", context, "--namespace", namespace])
            .args(["--create-namespace", "--wait", "--timeout", "5m"]);
        if let Some(values) = values {
            let path = dir.path().join(format!("{release}.values.json"));
            fs::write(&path, values.to_string()).unwrap();
            helm.arg("--values").arg(path);
        }
        run(&mut helm);
    };
    // External Secrets' CRDs, then OpenBao with the values the plan renders.
    helm_install("external-secrets", "external-secrets", None);
    run(sb.kubectl("cp").args([
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/clustersecretstores.external-secrets.io",
    ]));
    let openbao = step(&plan, "secure-core/openbao@").unwrap();
    helm_install("openbao", "openbao", Some(&openbao["values"]));

    // The init Job (simulated: KWOK completes it and a stage writes the unseal Secret).
    let init = step(&plan, "secure-core/openbao-init@").unwrap();
    kubectl_apply(sb, dir.path(), "init.json", objects(init));
    run(sb.kubectl("cp").args([
        "wait",
        "--for=condition=Complete",
        "--timeout=180s",
        "--namespace",
        "openbao",
        "job/openbao-init",
    ]));
    let statefulset = get(sb, &["--namespace", "openbao", "statefulset", "openbao"]);
    let volumes = &statefulset["spec"]["template"]["spec"]["volumes"];
    assert_eq!(
        volumes[0]["secret"]["secretName"], "openbao-unseal",
        "{volumes}"
    );

    // The store, as the secret-store step applies it.
    let store_step = step(&plan, "secure-core/secret-store@").unwrap();
    kubectl_apply(sb, dir.path(), "store.json", objects(store_step));
    let store = get(sb, &["clustersecretstores.external-secrets.io", "default"]);
    let vault = &store["spec"]["provider"]["vault"];
    assert_eq!(vault["server"], "http://openbao.openbao.svc:8200");
    assert_eq!(
        vault["auth"]["kubernetes"]["role"],
        "openchoreo-secret-writer-role"
    );
    assert_eq!(
        vault["auth"]["kubernetes"]["serviceAccountRef"]["name"],
        "external-secrets-openbao"
    );
    // What it points at exists: the OpenBao Service on 8200 and the ServiceAccount it logs in as.
    let service = get(sb, &["--namespace", "openbao", "service", "openbao"]);
    assert_eq!(service["spec"]["ports"][0]["port"], 8200);
    get(
        sb,
        &[
            "--namespace",
            "openbao",
            "serviceaccount",
            "external-secrets-openbao",
        ],
    );
    run(sb.kubectl("cp").args([
        "wait",
        "--for=condition=Ready",
        "--timeout=60s",
        "clustersecretstore/default",
    ]));
    // The stage's placeholder stands where the real Job keeps the keys.
    let unseal = get(sb, &["--namespace", "openbao", "secret", "openbao-unseal"]);
    assert!(unseal["data"]["unseal-key"].is_string(), "{unseal}");
}

/// The sandbox's External Secrets stand-in does what the real operator does with an
/// ExternalSecret whose store does not exist: it is not Ready, says which store is missing, and
/// writes no Secret; once the store exists it syncs. So a plan that applies ExternalSecrets on a
/// cluster without its store fails in the sandbox too.
#[test]
fn sandbox_an_external_secret_is_ready_only_once_its_store_exists() {
    let claim = sandbox().claim(&SECRET_STORE);
    let sb: &Sandbox = &claim;
    let context = claim.context("dp2");
    run(sb
        .helm()
        .args(["upgrade", "--install", "external-secrets"])
        .arg(Sandbox::chart_dir("external-secrets"))
        .args(["--kube-context", context, "--namespace", "external-secrets"])
        .args(["--create-namespace", "--wait", "--timeout", "5m"]));
    run(sb.kubectl(context).args([
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/clustersecretstores.external-secrets.io",
        "crd/externalsecrets.external-secrets.io",
    ]));
    let id = std::process::id();
    let namespace = format!("it-missing-store-{id}");
    let store = format!("it-missing-store-{id}");
    let dir = tempfile::tempdir().unwrap();
    let apply = |name: &str, objects: &[Value]| {
        let path = dir.path().join(name);
        let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
        fs::write(&path, list.to_string()).unwrap();
        run(sb.kubectl(context).args(["apply", "-f"]).arg(&path));
    };
    apply(
        "secret.json",
        &[
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}),
            json!({
                "apiVersion": "external-secrets.io/v1",
                "kind": "ExternalSecret",
                "metadata": {"name": "credentials", "namespace": namespace},
                "spec": {
                    "secretStoreRef": {"kind": "ClusterSecretStore", "name": store},
                    "target": {"name": "credentials"},
                    "data": [{"secretKey": "password", "remoteRef": {"key": "opensearch", "property": "password"}}]
                }
            }),
        ],
    );
    let external_secret = || -> Value {
        serde_json::from_str(&run(sb.kubectl(context).args([
            "get",
            "externalsecret",
            "credentials",
            "--namespace",
            &namespace,
            "-o",
            "json",
        ])))
        .unwrap()
    };
    let ready = |object: &Value| -> Option<Value> {
        object["status"]["conditions"]
            .as_array()?
            .iter()
            .find(|condition| condition["type"] == "Ready")
            .cloned()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let refused = loop {
        if let Some(condition) = ready(&external_secret()) {
            break condition;
        }
        assert!(Instant::now() < deadline, "{}", external_secret());
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(refused["status"], "False", "{refused}");
    assert_eq!(refused["reason"], "SecretSyncedError", "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains(&store),
        "the message names the missing store: {refused}"
    );
    // Still refused a while later (the stand-in looks again every ~5 s), and no Secret written.
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(ready(&external_secret()).unwrap()["status"], "False");
    let secret = sb
        .kubectl(context)
        .args(["get", "secret", "credentials", "--namespace", &namespace])
        .output()
        .unwrap();
    assert!(!secret.status.success(), "no Secret without a store");

    apply(
        "store.json",
        &[json!({
            "apiVersion": "external-secrets.io/v1",
            "kind": "ClusterSecretStore",
            "metadata": {"name": store},
            "spec": {"provider": {"fake": {"data": []}}}
        })],
    );
    run(sb.kubectl(context).args([
        "wait",
        "--for=condition=Ready",
        "--timeout=60s",
        "--namespace",
        &namespace,
        "externalsecret/credentials",
    ]));
    run(sb
        .kubectl(context)
        .args(["get", "secret", "credentials", "--namespace", &namespace]));
    run(sb
        .kubectl(context)
        .args(["delete", "--wait=false", "namespace", &namespace]));
    run(sb
        .kubectl(context)
        .args(["delete", "clustersecretstore", &store]));
}
