//! Every plan can be run one step at a time, as a user would with plain helm and kubectl: an
//! apply of a custom resource comes only after a wait, on the same cluster, for its CRD to be
//! Established (a chart may create its CRDs after `helm install` returns).

use std::collections::{BTreeMap, BTreeSet};

use choreoctl::catalog::crd_waits::{is_built_in, is_crd_of};
use serde_json::Value;

use crate::fixtures::every_plan;

/// Steps reachable from `id` through `needs`, `id` excluded.
fn transitive_needs<'a>(steps: &BTreeMap<&'a str, &'a Value>, id: &str) -> Vec<&'a Value> {
    let mut seen = BTreeSet::new();
    let mut queue: Vec<&str> = needs(steps[id]);
    let mut found = Vec::new();
    while let Some(next) = queue.pop() {
        if seen.insert(next) {
            let step = steps[next];
            found.push(step);
            queue.extend(needs(step));
        }
    }
    found
}

fn needs(step: &Value) -> Vec<&str> {
    step["needs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|need| need.as_str().unwrap())
        .collect()
}

/// The wait's CRD name, when `step` waits for a CRD to be Established.
fn crd_waited_for(step: &Value) -> Option<&str> {
    let wait = step.get("wait")?;
    (wait["condition"] == "Established" && wait["resource"]["kind"] == "CustomResourceDefinition")
        .then(|| wait["resource"]["name"].as_str())
        .flatten()
}

#[test]
fn every_apply_of_a_custom_resource_needs_a_wait_for_its_crd_on_the_same_cluster() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (case, plan) in every_plan() {
        let steps: BTreeMap<&str, &Value> = plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|step| (step["id"].as_str().unwrap(), step))
            .collect();
        for (id, step) in &steps {
            let Some(objects) = step["manifest"]["objects"].as_array() else {
                continue;
            };
            let before = transitive_needs(&steps, id);
            for object in objects {
                let api_version = object["apiVersion"].as_str().unwrap();
                if is_built_in(api_version) {
                    continue;
                }
                checked += 1;
                let kind = object["kind"].as_str().unwrap();
                let group = api_version.split_once('/').unwrap().0;
                let waited = before.iter().any(|wait| {
                    wait["context"] == step["context"]
                        && wait["kubeconfig"] == step["kubeconfig"]
                        && crd_waited_for(wait).is_some_and(|crd| is_crd_of(crd, kind, group))
                });
                if !waited {
                    problems.push(format!(
                        "{case}: {id} applies {kind} ({api_version}) on context {} without a wait \
                         for its CRD there among its needs",
                        step["context"]
                    ));
                }
            }
        }
    }
    assert!(checked > 0, "no custom resource applied in any plan");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The workflow-plane stand-in creates the Argo Workflows CRDs like the real chart: after
/// `helm install` has returned (from a Job; a KWOK Stage plays it), so an apply right after
/// helm fails, and one after a wait for the CRD succeeds.
#[test]
fn sandbox_workflow_plane_creates_the_argo_crds_after_helm_returns() {
    use crate::sandbox::{Sandbox, run, sandbox};
    const CRD: &str = "clusterworkflowtemplates.argoproj.io";
    let s = sandbox();
    let context = "dp1";
    // A sandbox reused from an earlier run may hold the CRD already.
    run(s
        .kubectl(context)
        .args(["delete", "crd", CRD, "--ignore-not-found", "--wait"]));
    let chart = Sandbox::chart_dir("openchoreo-workflow-plane");
    run(s
        .helm()
        .args(["upgrade", "--install", "wp-crd-jobs"])
        .arg(&chart)
        .args([
            "--kube-context",
            context,
            "-n",
            "crd-jobs",
            "--create-namespace",
            "--set",
            "clusterAgent.enabled=false",
            "--set",
            "clusterAgent.tls.generateCerts=false",
        ]));
    let template = "apiVersion: argoproj.io/v1alpha1\nkind: ClusterWorkflowTemplate\n\
                    metadata: {name: crd-jobs-probe}\nspec: {templates: []}\n";
    let probe = std::env::temp_dir().join(format!("crd-jobs-probe-{}.yaml", std::process::id()));
    std::fs::write(&probe, template).unwrap();
    let early = s
        .kubectl(context)
        .args(["apply", "-f"])
        .arg(&probe)
        .output()
        .unwrap();
    // On a loaded machine helm itself may take longer than the Job's delay to return; the
    // creation times below show the CRD came from the Job, after helm had created it.
    if !early.status.success() {
        assert!(
            String::from_utf8_lossy(&early.stderr).contains("no matches for kind"),
            "{}",
            String::from_utf8_lossy(&early.stderr)
        );
    }
    // What a crd wait step does: poll until the CRD exists and is Established.
    let established = (0..240).any(|_| {
        let out = s
            .kubectl(context)
            .args(["get", "crd", CRD, "-o"])
            .arg(r#"jsonpath={.status.conditions[?(@.type=="Established")].status}"#)
            .output()
            .unwrap();
        let done = String::from_utf8_lossy(&out.stdout) == "True";
        if !done {
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        done
    });
    assert!(established, "{CRD} Established within 60 s");
    let created = |args: &[&str]| {
        let out = s
            .kubectl(context)
            .args(args)
            .args(["-o", "jsonpath={.metadata.creationTimestamp}"])
            .output()
            .unwrap();
        let stamp = String::from_utf8_lossy(&out.stdout).to_string();
        stamp
            .trim()
            .parse::<k8s_openapi::jiff::Timestamp>()
            .unwrap_or_else(|error| panic!("creation time of {args:?}: {stamp:?}: {error}"))
            .as_second()
    };
    let job = created(&[
        "get",
        "job",
        "-n",
        "crd-jobs",
        "argo-workflows-crds-clusterworkflowtemplates",
    ]);
    let crd = created(&["get", "crd", CRD]);
    assert!(
        crd >= job + 4,
        "the CRD is created by its Job about 5 s after the chart created the Job, not by the chart \
         (Job created at {job}, CRD at {crd})"
    );
    let manifest = s
        .helm()
        .args([
            "get",
            "manifest",
            "wp-crd-jobs",
            "--kube-context",
            context,
            "-n",
            "crd-jobs",
        ])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&manifest.stdout).contains("kind: CustomResourceDefinition"),
        "the release itself must not carry the CRD"
    );
    // Discovery may lag the condition by a moment, as on a real cluster.
    let mut applied = false;
    for _ in 0..40 {
        let out = s
            .kubectl(context)
            .args(["apply", "-f"])
            .arg(&probe)
            .output()
            .unwrap();
        if out.status.success() {
            applied = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    let _ = std::fs::remove_file(&probe);
    assert!(
        applied,
        "ClusterWorkflowTemplate applies once its CRD is Established"
    );
    run(s.helm().args([
        "uninstall",
        "wp-crd-jobs",
        "--kube-context",
        context,
        "-n",
        "crd-jobs",
    ]));
}
