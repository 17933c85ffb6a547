//! `render --format argocd|flux`: every exported object is accepted by a real kube-apiserver
//! (server-side dry-run, strict field validation) against the stand-in charts' Argo CD and Flux
//! CRDs, whose schemas carry the real CRDs' required fields (tests/charts/gen.py).

use std::path::{Path, PathBuf};

use crate::harness::{Test, assert_contains};
use crate::ownership::GITOPS;
use crate::sandbox::{Sandbox, run, sandbox};

/// Context the dry-runs go to (the hub / the cluster Argo CD runs in).
const CONTEXT: &str = "cp";

/// Applies the CRDs of stand-in chart `chart` as release `release` in `namespace` would own
/// them (so that a later `helm install` of that release adopts them) and waits until served.
fn install_crds(sb: &Sandbox, chart: &str, release: &str, namespace: &str) -> Vec<String> {
    let rendered = run(sb.helm().args([
        "template",
        release,
        Sandbox::chart_dir(chart).to_str().expect("UTF-8 path"),
        "--namespace",
        namespace,
        "--show-only",
        "templates/crds.yaml",
    ]));
    let file = tempfile::NamedTempFile::new().expect("temporary file");
    std::fs::write(file.path(), &rendered).expect("writing the CRDs");
    let names = run(sb
        .kubectl(CONTEXT)
        .args([
            "apply",
            "--server-side",
            "--force-conflicts",
            "--field-manager",
            "choreoctl-gitops-test",
            "-o",
            "name",
            "-f",
        ])
        .arg(file.path()));
    let names: Vec<String> = names.lines().map(str::to_owned).collect();
    for name in &names {
        run(sb.kubectl(CONTEXT).args([
            "label",
            "--overwrite",
            name,
            "app.kubernetes.io/managed-by=Helm",
        ]));
        run(sb.kubectl(CONTEXT).args([
            "annotate",
            "--overwrite",
            name,
            &format!("meta.helm.sh/release-name={release}"),
            &format!("meta.helm.sh/release-namespace={namespace}"),
        ]));
        run(sb.kubectl(CONTEXT).args([
            "wait",
            "--for=condition=Established",
            "--timeout=60s",
            name,
        ]));
    }
    names
}

/// The multi-plane preset's topology (the data plane `prod` on context `prod`), its control
/// plane naming the cluster gateway's address as a GitOps export of several clusters needs, and
/// `extra` lines appended to its spec.
fn multi_plane_profile(test: &Test, prod: &str, extra: &str) -> PathBuf {
    let profile = test.path().join("profile.yaml");
    std::fs::write(
        &profile,
        format!(
            "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\nmetadata: {{name: multi-plane}}\n\
             spec:\n  edition: generic\n  planes:\n\
             \x20   - {{name: control, type: control, context: cp, \
             clusterGateway: {{address: gateway.choreo.example.com}}}}\n\
             \x20   - {{name: ci, type: workflow, context: cp}}\n\
             \x20   - {{name: dev, type: data, context: dp1}}\n\
             \x20   - {{name: prod, type: data, context: {prod}}}\n\
             \x20 modules: [{{name: build}}]\n{extra}"
        ),
    )
    .expect("writing the profile");
    profile
}

/// `render --format FORMAT` of [`multi_plane_profile`] into a temporary directory.
fn export(format: &str) -> (crate::harness::Output, PathBuf) {
    let test = Test::new();
    let out = test.path().join("export");
    let profile = multi_plane_profile(&test, "dp2", "");
    let output = test
        .args(["render", "--format", format, "--profile"])
        .arg(&profile)
        .args([
            "--git-url",
            "https://git.example/platform.git",
            "--git-path",
            "openchoreo",
        ])
        .arg("--out")
        .arg(&out)
        .run();
    (output, out)
}

/// `render --format helmfile` of `profile` into `helmfile/` of the test's directory, which the
/// returned output keeps alive.
pub(crate) fn render_helmfile(test: Test, profile: &Path) -> (crate::harness::Output, PathBuf) {
    let out = test.path().join("helmfile");
    let output = test
        .args(["render", "--format", "helmfile", "--profile"])
        .arg(profile)
        .arg("--out")
        .arg(&out)
        .run();
    (output, out)
}

/// Planes on other clusters dial the gateway at an address read at install time: an export,
/// written before any install, needs it named in the profile.
#[test]
fn export_of_several_clusters_without_a_gateway_address_says_to_name_it() {
    let test = Test::new();
    let out = test.path().join("export");
    let output = test
        .args(["render", "--preset", "multi-plane", "--edition", "generic"])
        .args([
            "--format",
            "argocd",
            "--git-url",
            "https://git.example/platform.git",
        ])
        .arg("--out")
        .arg(&out)
        .status(2)
        .run();
    assert_contains(&output.stderr, "render --format argocd");
    assert_contains(&output.stderr, "clusterGateway: {address:");
    assert!(!out.exists(), "nothing is written");
}

/// Every `.yaml` file below `dir`.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("reading the export") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files.extend(yaml_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "yaml") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Server-side dry-run of every file, strict field validation; returns how many objects passed.
fn dry_run(sb: &Sandbox, files: &[PathBuf]) -> usize {
    let mut objects = 0;
    for file in files {
        let out = run(sb
            .kubectl(CONTEXT)
            .args([
                "apply",
                "--server-side",
                "--dry-run=server",
                "--validate=strict",
                "--field-manager",
                "choreoctl-gitops-test",
                "-o",
                "name",
                "-f",
            ])
            .arg(file));
        objects += out.lines().count();
    }
    objects
}

fn namespace(sb: &Sandbox, name: &str) {
    let yaml = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");
    let file = tempfile::NamedTempFile::new().expect("temporary file");
    std::fs::write(file.path(), yaml).expect("writing the namespace");
    run(sb
        .kubectl(CONTEXT)
        .args([
            "apply",
            "--server-side",
            "--field-manager",
            "choreoctl-gitops-test",
            "-f",
        ])
        .arg(file.path()));
}

#[test]
fn sandbox_argocd_export_is_accepted_by_the_api_server() {
    let sb = &sandbox().claim(&GITOPS);
    let crds = install_crds(sb, "argo-cd", "argo-cd", "argocd");
    assert!(
        crds.iter()
            .any(|crd| crd.ends_with("applicationsets.argoproj.io")),
        "{crds:?}"
    );
    namespace(sb, "argocd");
    let (_output, out) = export("argocd");
    let files = yaml_files(&out.join("argocd"));
    let objects = dry_run(sb, &files);
    assert_eq!(objects, files.len(), "one object per file");
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("applicationsets/secure-core-data-plane.yaml"))
    );

    // Strict validation does check: a field the real CRD does not have is refused.
    let bad = out.join("bad.yaml");
    let good = std::fs::read_to_string(&files[0]).expect("an Application");
    std::fs::write(
        &bad,
        good.replacen("spec:\n", "spec:\n  destinaton: {}\n", 1),
    )
    .expect("writing");
    let refused = sb
        .kubectl(CONTEXT)
        .args([
            "apply",
            "--server-side",
            "--dry-run=server",
            "--validate=strict",
            "-f",
        ])
        .arg(&bad)
        .output()
        .expect("kubectl runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("destinaton"));
}

#[test]
fn sandbox_flux_export_is_accepted_by_the_api_server() {
    let sb = &sandbox().claim(&GITOPS);
    let crds = install_crds(sb, "flux2", "flux2", "flux-system");
    assert!(
        crds.iter()
            .any(|crd| crd.ends_with("helmreleases.helm.toolkit.fluxcd.io")),
        "{crds:?}"
    );
    namespace(sb, "flux-system");
    let (_output, out) = export("flux");
    let files = yaml_files(&out.join("flux"));
    let objects = dry_run(sb, &files);
    assert!(objects > files.len(), "hub files hold several objects each");
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("releases/dev-secure-core-data-plane/helmrelease.yaml"))
    );

    // The CEL rule of the real CRD holds: a HelmRelease with neither chart nor chartRef is refused.
    let bad = out.join("bad.yaml");
    std::fs::write(&bad, "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: bad, namespace: flux-system}\nspec: {interval: 1h}\n").expect("writing");
    let refused = sb
        .kubectl(CONTEXT)
        .args(["apply", "--server-side", "--dry-run=server", "-f"])
        .arg(&bad)
        .output()
        .expect("kubectl runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("either chart or chartRef"));
}

/// The Secrets the exports read from clusters (the CAs `copy-cas.sh` copies), as an installed
/// platform has them: (context, namespace, name). Created when missing.
const READ_SECRETS: [(&str, &str, &str); 4] = [
    ("cp", "openchoreo-control-plane", "cluster-gateway-ca"),
    ("cp", "openchoreo-workflow-plane", "cluster-agent-tls"),
    ("dp1", "openchoreo-data-plane", "cluster-agent-tls"),
    ("obs", "openchoreo-data-plane", "cluster-agent-tls"),
];

/// `helmfile lint` and `template` of the multi-plane export with the real helmfile, before any
/// install: they render the charts only (values read from clusters are read by the apply
/// steps' hooks, which neither runs), so they need no installed platform. `helmfile sync` is
/// run for real by tests/it/helmfile_sync.rs.
#[test]
fn sandbox_helmfile_export_passes_helmfile_lint_and_template() {
    let sb = sandbox();
    let test = Test::new();
    let profile = multi_plane_profile(
        &test,
        "obs",
        &format!(
            "  charts: {{mirror: \"{}\", plainHttp: true}}\n  manifests: {{mirror: \"{}\", plainHttp: true}}\n",
            sb.mirror, sb.manifests
        ),
    );
    let (_output, out) = render_helmfile(test, &profile);

    let helmfile = |args: &[&str]| {
        let mut cmd = sb.command(&sb.helmfile);
        cmd.current_dir(&out).args(args);
        run(&mut cmd)
    };
    let lint = helmfile(&["lint"]);
    let template = helmfile(&["template", "--skip-deps"]);

    assert!(lint.contains("0 chart(s) failed"), "{lint}");
    assert!(
        template.contains("# Source: openchoreo-data-plane/"),
        "the data plane's chart did not render"
    );
    // The apply steps' releases render nothing: their objects are applied by hooks.
    assert!(
        !template.contains("kind: ClusterDataPlane"),
        "an apply step's objects were rendered by a release"
    );
    assert!(
        !template.contains("<from plane"),
        "a placeholder was rendered"
    );
}

/// Creates the [`READ_SECRETS`] that do not exist yet (namespace included); returns them.
fn ensure_read_secrets(sb: &Sandbox) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut created = Vec::new();
    for (context, namespace, name) in READ_SECRETS {
        if !exists(sb, context, "secret", namespace, name) {
            let yaml = format!(
                "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {namespace}}}\n---\n\
                 apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: {namespace}}}\n\
                 stringData: {{ca.crt: \"-----BEGIN CERTIFICATE-----\\n{context}-{name}\\n-----END CERTIFICATE-----\\n\"}}\n"
            );
            let file = tempfile::NamedTempFile::new().expect("temporary file");
            std::fs::write(file.path(), yaml).expect("writing the Secret");
            run(sb
                .kubectl(context)
                .args([
                    "apply",
                    "--server-side",
                    "--field-manager",
                    "choreoctl-gitops-test",
                    "-f",
                ])
                .arg(file.path()));
            created.push((context, namespace, name));
        }
    }
    created
}

fn exists(sb: &Sandbox, context: &str, kind: &str, namespace: &str, name: &str) -> bool {
    let out = sb
        .kubectl(context)
        .args(["-n", namespace, "get", kind, name])
        .output()
        .expect("kubectl runs");
    out.status.success()
}

fn delete_secrets(sb: &Sandbox, secrets: &[(&str, &str, &str)]) {
    for (context, namespace, name) in secrets {
        run(sb
            .kubectl(context)
            .args(["-n", namespace, "delete", "secret", name]));
    }
}

/// copy-cas.sh, run for real: every CA lands where the export's objects expect it, under the
/// script's own field manager, and is the source's value.
#[test]
fn sandbox_copy_cas_script_copies_every_ca() {
    let sb = &sandbox().claim(&GITOPS);
    let test = Test::new();
    let out = test.path().join("export");
    let profile = multi_plane_profile(&test, "obs", "");
    let _output = test
        .args(["render", "--format", "argocd", "--profile"])
        .arg(&profile)
        .args(["--git-url", "https://git.example/platform.git"])
        .arg("--out")
        .arg(&out)
        .run();
    // What the script writes: (context, kind, namespace, name).
    let copies = [
        (
            "cp",
            "configmap",
            "openchoreo-control-plane",
            "cluster-gateway-ca",
        ),
        (
            "dp1",
            "configmap",
            "openchoreo-data-plane",
            "cluster-gateway-ca",
        ),
        (
            "obs",
            "configmap",
            "openchoreo-data-plane",
            "cluster-gateway-ca",
        ),
        (
            "cp",
            "configmap",
            "openchoreo-workflow-plane",
            "cluster-gateway-ca",
        ),
        ("cp", "secret", "openchoreo-control-plane", "dev-agent-ca"),
        ("cp", "secret", "openchoreo-control-plane", "prod-agent-ca"),
        ("cp", "secret", "openchoreo-control-plane", "ci-agent-ca"),
    ];
    let new: Vec<_> = copies
        .iter()
        .filter(|(c, k, n, m)| !exists(sb, c, k, n, m))
        .copied()
        .collect();
    let created = ensure_read_secrets(sb);
    let mut script = sb.command("sh");
    script
        .arg(out.join("copy-cas.sh"))
        .env("CHOREOCTL_CA_WAIT", "0");
    let printed = sb_output(&mut script);

    let read = |context: &str, kind: &str, namespace: &str, name: &str, jsonpath: &str| {
        run(sb.kubectl(context).args([
            "-n",
            namespace,
            "get",
            kind,
            name,
            "-o",
            &format!("jsonpath={jsonpath}"),
        ]))
    };
    let agent = read(
        "obs",
        "secret",
        "openchoreo-data-plane",
        "cluster-agent-tls",
        "{.data.ca\\.crt}",
    );
    let copied = read(
        "cp",
        "secret",
        "openchoreo-control-plane",
        "prod-agent-ca",
        "{.data.ca\\.crt}",
    );
    let gateway = read(
        "cp",
        "secret",
        "openchoreo-control-plane",
        "cluster-gateway-ca",
        "{.data.ca\\.crt}",
    );
    let on_plane = read(
        "dp1",
        "configmap",
        "openchoreo-data-plane",
        "cluster-gateway-ca",
        "{.data.ca\\.crt}",
    );
    let managers = read(
        "cp",
        "secret",
        "openchoreo-control-plane",
        "dev-agent-ca",
        "{.metadata.managedFields[*].manager}",
    );
    for (context, kind, namespace, name) in &new {
        run(sb
            .kubectl(context)
            .args(["-n", namespace, "delete", kind, name]));
    }
    delete_secrets(sb, &created);

    assert_eq!(copied, agent, "prod's agent CA copied to the control plane");
    let decoded = String::from_utf8(decode_base64(&gateway)).expect("PEM");
    assert_eq!(
        on_plane, decoded,
        "the gateway CA copied to dev's ConfigMap"
    );
    assert_eq!(managers, "choreoctl-ca-copy");
    assert!(
        !printed.contains("BEGIN CERTIFICATE"),
        "the script printed a certificate"
    );
}

/// Runs a command, panics unless it succeeds; returns stdout and stderr.
fn sb_output(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// Standard base64 (what kubectl prints for Secret data).
fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .map(value)
        .collect();
    digits
        .chunks(4)
        .flat_map(|chunk| {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &d)| n | (u32::from(d) << (18 - 6 * i)));
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            bytes[..chunk.len() - 1].to_vec()
        })
        .collect()
}
