//! `choreoctl mirror` on the sandbox: the images of the rendered releases, and charts copied
//! between loopback registries (distribution's `registry`, as the sandbox runs it), then an
//! install from the copy while the registry it was copied from is stopped.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Test, assert_contains};
use crate::ownership::SINGLE_PLANE;
use crate::sandbox::{Claim, Sandbox, run, sandbox};

/// A loopback OCI registry of this test's own, stopped (SIGKILL to the one process it
/// started) and its storage removed on drop.
struct OwnRegistry {
    process: Child,
    address: String,
    _storage: tempfile::TempDir,
}

impl OwnRegistry {
    fn start(sb: &Sandbox) -> Self {
        let storage = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("127.0.0.1:{port}");
        let config = storage.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog: {{level: warn, accesslog: {{disabled: true}}}}\n\
                 storage: {{filesystem: {{rootdirectory: {}}}}}\n\
                 http: {{addr: '{address}', secret: choreoctl-mirror-test}}\n",
                storage.path().join("data").display()
            ),
        )
        .unwrap();
        let process = Command::new(sb.bin_dir.join("registry"))
            .arg("serve")
            .arg(&config)
            .env("OTEL_TRACES_EXPORTER", "none")
            .env("OTEL_SDK_DISABLED", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the sandbox's registry binary runs");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(&address).is_err() {
            assert!(
                Instant::now() < deadline,
                "registry on {address} did not listen"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        OwnRegistry {
            process,
            address,
            _storage: storage,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("oci://{}/{path}", self.address)
    }

    fn stop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Drop for OwnRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The single-plane preset, generic edition, on context `cp`.
#[track_caller]
fn profile(sb: &Sandbox, command: &[&str]) -> Test {
    sb.choreoctl()
        .args(command)
        .args(["--preset", "single-plane", "--edition", "generic"])
        .args(["--context", "cp"])
}

/// `install --yes` of the single-plane preset, generic edition, on context `cp`.
#[track_caller]
fn install(sb: &Claim) -> Test {
    sb.choreoctl()
        .args([
            "install",
            "--yes",
            "--preset",
            "single-plane",
            "--edition",
            "generic",
        ])
        .args(["--context", "cp"])
}

#[test]
fn sandbox_mirror_images_lists_every_image_of_the_rendered_releases_once() {
    let sb = sandbox();
    let images = |format: &str| {
        profile(sb, &["mirror", "images", "-o", format])
            .args(["--chart-mirror", &sb.mirror])
            .args(["--manifest-mirror", &sb.manifests, "--source-plain-http"])
            .run()
    };
    let text = images("text");
    let lines: Vec<&str> = text.stdout.lines().collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(lines, sorted, "sorted, each once");
    // The stand-in charts name their images `registry.example.org/standin/<name>:<appVersion>`.
    for image in [
        "registry.example.org/standin/controller-manager:v1.2.3",
        "registry.example.org/standin/openchoreo-api:v1.2.3",
        "registry.example.org/standin/cert-manager:v1.19.4",
        "registry.example.org/standin/cert-manager-startupapicheck:v1.19.4",
    ] {
        assert!(
            lines.contains(&image),
            "{image} missing from:\n{}",
            text.stdout
        );
    }

    let json = images("json").json();
    let list = json.as_array().unwrap();
    assert_eq!(list.len(), lines.len());
    let used_by = |image: &str| -> Vec<&str> {
        list.iter()
            .find(|entry| entry["image"] == image)
            .map(|entry| {
                entry["usedBy"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|step| step.as_str().unwrap())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        used_by("registry.example.org/standin/controller-manager:v1.2.3"),
        ["secure-core/control-plane@control"]
    );
}

/// The number in the install summary's `…, N helm upgrade(s)`.
fn helm_upgrades(stderr: &str) -> u32 {
    let before = stderr
        .split(" helm upgrade(s)")
        .next()
        .filter(|before| before.len() < stderr.len())
        .unwrap_or_else(|| panic!("no install summary in:\n{stderr}"));
    let count = before.rsplit(' ').next().unwrap();
    count
        .parse()
        .unwrap_or_else(|_| panic!("`{count}` in:\n{stderr}"))
}

fn push(sb: &Sandbox, from: &str, to: &str) -> crate::harness::Output {
    profile(sb, &["mirror", "push", "-o", "json"])
        .args(["--chart-mirror", from, "--source-plain-http"])
        .args(["--to", to, "--plain-http"])
        .run()
}

fn results(output: &crate::harness::Output) -> Vec<(String, String)> {
    output
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|entry: &Value| {
            (
                entry["name"].as_str().unwrap().to_owned(),
                entry["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn tags(sb: &Sandbox, registry: &OwnRegistry, chart: &str) -> String {
    run(sb.helm().args([
        "show",
        "chart",
        &registry.url(&format!("openchoreo/{chart}")),
        "--plain-http",
    ]))
}

#[test]
fn sandbox_mirror_push_then_install_from_the_copy_with_the_source_stopped() {
    let sb = sandbox();
    let mut source = OwnRegistry::start(sb);
    let target = OwnRegistry::start(sb);

    // The sandbox's charts into a source registry of this test's own, then from it to the target.
    push(sb, &sb.mirror, &source.url("choreo"));
    let first = push(sb, &source.url("choreo"), &target.url("openchoreo"));
    let copied = results(&first);
    let names: Vec<&str> = copied.iter().map(|(name, _)| name.as_str()).collect();
    for chart in ["cert-manager", "openchoreo-control-plane", "thunder"] {
        assert!(names.contains(&chart), "{chart} not copied: {names:?}");
    }
    assert!(
        copied.iter().all(|(_, result)| result == "copied"),
        "{copied:?}"
    );
    assert_contains(&first.stderr, "openchoreo-control-plane 1.2.3 → oci://");
    assert_contains(
        &tags(sb, &target, "openchoreo-control-plane"),
        "version: 1.2.3",
    );

    // Again: nothing is copied.
    let again = results(&push(sb, &source.url("choreo"), &target.url("openchoreo")));
    assert!(
        again.iter().all(|(_, result)| result == "present"),
        "{again:?}"
    );
    assert_eq!(again.len(), copied.len());

    // With the source stopped, an install from the copy pulls every chart from it.
    source.stop();
    assert!(
        TcpStream::connect(&source.address).is_err(),
        "source still listens"
    );
    let claim = sandbox().claim(&SINGLE_PLANE);
    let installed = install(&claim)
        .args(["--chart-mirror", &target.url("openchoreo")])
        .args(["--manifest-mirror", &sb.manifests, "--plain-http"])
        .stderr_lacks(&source.address)
        .run();
    assert!(
        helm_upgrades(&installed.stderr) > 0,
        "the install ran no helm upgrade, so it pulled nothing:\n{}",
        installed.stderr
    );
    let releases = run(sb
        .helm()
        .args(["list", "-A", "-o", "json", "--kube-context", "cp"]));
    let releases: Vec<Value> = serde_json::from_str(&releases).unwrap();
    for release in ["cert-manager", "openchoreo-control-plane", "thunder"] {
        assert!(
            releases
                .iter()
                .any(|r| r["name"] == release && r["status"] == "deployed"),
            "{release}: {releases:?}"
        );
    }
}

/// A target that is not an OCI path is refused before anything is pulled.
#[test]
fn mirror_push_refuses_a_target_that_is_not_oci() {
    let refused = Test::new()
        .args([
            "mirror",
            "push",
            "--preset",
            "single-plane",
            "--edition",
            "generic",
        ])
        .args(["--context", "x", "--to", "https://registry.internal/charts"])
        .status(2)
        .run();
    assert_contains(&refused.stderr, "oci://host[:port]/path");
}

/// Across the air gap through a file: `bundle` from the sandbox's mirrors, `load` into a registry
/// of the test's own and a manifest directory, then an install that reaches neither sandbox
/// server (charts from the loaded registry, manifests from `file://`).
#[test]
fn sandbox_mirror_bundle_then_load_then_install_from_what_was_loaded() {
    let sb = sandbox();
    let target = OwnRegistry::start(sb);
    let bundling = profile(sb, &["mirror", "bundle", "-o", "json"])
        .args(["--chart-mirror", &sb.mirror])
        .args(["--manifest-mirror", &sb.manifests, "--source-plain-http"]);
    let bundle = bundling.path().join("openchoreo.tar");
    let bundled = bundling.arg("--out").arg(&bundle).run();
    let index = bundled.json();
    let charts: Vec<&str> = index["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|chart| chart["name"].as_str().unwrap())
        .collect();
    assert!(charts.contains(&"openchoreo-control-plane"), "{charts:?}");
    assert_eq!(
        index["manifests"][0]["file"],
        "manifests/gateway-api/v1.5.1/standard-install.yaml"
    );

    let manifests = bundled.path("site-manifests");
    let load = || {
        sb.choreoctl()
            .args(["mirror", "load", "-o", "json"])
            .arg(&bundle)
            .args([
                "--to",
                &target.url("site"),
                "--plain-http",
                "--manifests-dir",
            ])
            .arg(&manifests)
            .run()
    };
    let loaded = results(&load());
    assert_eq!(loaded.len(), charts.len());
    assert!(
        loaded.iter().all(|(_, result)| result == "copied"),
        "{loaded:?}"
    );
    assert_eq!(
        std::fs::read(manifests.join("gateway-api/v1.5.1/standard-install.yaml")).unwrap(),
        std::fs::read(
            crate::sandbox::repo_root()
                .join("tests/charts/manifests/gateway-api/v1.5.1/standard-install.yaml")
        )
        .unwrap()
    );
    let again = results(&load());
    assert!(
        again.iter().all(|(_, result)| result == "present"),
        "{again:?}"
    );

    let claim = sandbox().claim(&SINGLE_PLANE);
    let installed = install(&claim)
        .args(["--chart-mirror", &target.url("site"), "--plain-http"])
        .arg("--manifest-mirror")
        .arg(format!("file://{}", manifests.display()))
        .stderr_lacks(sb.registry.as_str())
        .stderr_lacks(sb.manifests.trim_start_matches("http://"))
        .run();
    assert!(
        helm_upgrades(&installed.stderr) > 0,
        "the install ran no helm upgrade, so it pulled nothing:\n{}",
        installed.stderr
    );
}

/// A file that is not a bundle is refused, naming it, before anything is pushed.
#[test]
fn mirror_load_refuses_a_file_that_is_not_a_bundle() {
    let test = Test::new().file("charts.tar", "not a tar file\n");
    let file = test.path().join("charts.tar");
    let refused = test
        .args(["mirror", "load"])
        .arg(&file)
        .args(["--to", "oci://127.0.0.1:1/x", "--plain-http"])
        .status(2)
        .run();
    assert_contains(&refused.stderr, "charts.tar");
    assert_contains(&refused.stderr, "choreoctl mirror bundle");
}

/// `--log-format json` on `mirror push`, `bundle` and `load`: every stderr line is an event
/// (`chart_mirrored` per chart, `bundled` per file, `manifest_written`, `note`), stdout stays
/// the result.
#[test]
fn sandbox_mirror_commands_log_format_json() {
    let sb = sandbox();
    let target = OwnRegistry::start(sb);
    let pushed = profile(
        sb,
        &["mirror", "push", "-o", "json", "--log-format", "json"],
    )
    .args(["--chart-mirror", &sb.mirror, "--source-plain-http"])
    .args(["--manifest-mirror", &sb.manifests])
    .args(["--to", &target.url("pushed"), "--plain-http"])
    .run();
    let events = pushed.events();
    let charts = results(&pushed).len();
    let mirrored: Vec<&Value> = events
        .iter()
        .filter(|event| event["event"] == "chart_mirrored")
        .collect();
    assert_eq!(mirrored.len(), charts, "{}", pushed.stderr);
    assert!(
        mirrored.iter().all(|event| event["result"] == "copied"),
        "{}",
        pushed.stderr
    );
    assert!(
        events.iter().any(|event| event["event"] == "note"),
        "the manifests' note: {}",
        pushed.stderr
    );

    let bundling = profile(sb, &["mirror", "bundle", "--log-format", "json"])
        .args(["--chart-mirror", &sb.mirror])
        .args(["--manifest-mirror", &sb.manifests, "--source-plain-http"]);
    let bundle = bundling.path().join("openchoreo.tar");
    let bundled = bundling
        .arg("--out")
        .arg(&bundle)
        .stdout_contains("chart(s)")
        .run();
    let events = bundled.events();
    assert_eq!(
        events
            .iter()
            .filter(|event| event["event"] == "bundled" && event["kind"] == "chart")
            .count(),
        charts,
        "{}",
        bundled.stderr
    );

    let manifests = bundled.path("site-manifests");
    let loaded = sb
        .choreoctl()
        .args(["mirror", "load", "--log-format", "json"])
        .arg(&bundle)
        .args(["--to", &target.url("pushed"), "--plain-http"])
        .arg("--manifests-dir")
        .arg(&manifests)
        .run();
    let events = loaded.events();
    assert!(
        events
            .iter()
            .filter(|event| event["event"] == "chart_mirrored")
            .all(|event| event["result"] == "present"),
        "{}",
        loaded.stderr
    );
    assert!(
        events
            .iter()
            .any(|event| event["event"] == "manifest_written"),
        "{}",
        loaded.stderr
    );
}
