//! Test support: one shared sandbox (tests/sandbox/sandbox, docs/sandbox.md) per test binary.
//!
//! The first call to [`sandbox()`] builds the sandbox binaries if needed (tests/sandbox/build.sh,
//! cached outside target/), then brings up clusters `cp`, `dp1`, `dp2` and `obs` (kubeconfig contexts of
//! the same names) with 2 KWOK nodes each, a loopback OCI registry holding every stand-in chart and
//! a loopback manifest server. Every test shares it: run choreoctl with
//! [`Sandbox::choreoctl`], and take your group's [`Claim`] (tests/it/ownership.rs) to install
//! or to change what other tests see; otherwise use your own namespaces.
//!
//! It is torn down when the test process exits, however it exits: a watchdog process in its own
//! process group (so a terminal Ctrl-C does not kill it first) waits for this process to go away
//! and then runs `sandbox down`.
//!
//! Environment:
//! - `CHOREOCTL_TEST_SANDBOX=<name>`: use the already running sandbox `<name>` (e.g. a developer's
//!   `tests/sandbox/sandbox up --name dev`) and leave it running afterwards.
//! - `CHOREOCTL_SANDBOX_HOME`, `CHOREOCTL_SANDBOX_CACHE`: passed through to the scripts.
//!
//! Nothing here skips: if the sandbox cannot be built or started, the test panics with the reason.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::ops::Deref;
use std::os::unix::process::CommandExt;
use std::panic::Location;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::Duration;

use crate::harness::Test;
use crate::ownership::{Group, changes_clusters};

/// The contexts (= cluster names) the shared sandbox provides to every test.
pub const CONTEXTS: [&str; 4] = ["cp", "dp1", "dp2", "obs"];
/// Two more clusters of the shared sandbox, for tests/it/uninstall.rs alone: it compares what
/// an uninstall leaves on them with what was there before, so no other test touches them.
pub const QUIET_CONTEXTS: [&str; 2] = ["un1", "un2"];
/// Simulated nodes per cluster.
pub const NODES: usize = 2;

/// A running sandbox.
#[derive(Debug)]
pub struct Sandbox {
    /// The one kubeconfig, one context per cluster.
    pub kubeconfig: PathBuf,
    /// Context names, which are also the cluster names: `cp`, `dp1`, `dp2`, `obs`.
    pub contexts: Vec<String>,
    /// Loopback registry, `127.0.0.1:PORT` (plain HTTP).
    pub registry: String,
    /// Chart mirror holding every stand-in chart: `oci://127.0.0.1:PORT/choreo`.
    pub mirror: String,
    /// Stand-in manifests over plain HTTP: `http://127.0.0.1:PORT2`
    /// (e.g. `{manifests}/gateway-api/v1.5.1/standard-install.yaml`).
    pub manifests: String,
    /// Directory with helm, kubectl, kwokctl, ... (the built binaries).
    pub bin_dir: PathBuf,
    /// The helm binary built from helm.sh/helm/v3 (use it, not one on PATH).
    pub helm: PathBuf,
    /// helm 4, built from helm.sh/helm/v4 as `helm4`.
    pub helm4: PathBuf,
    /// kubectl from the same Kubernetes release as the clusters.
    pub kubectl: PathBuf,
    /// helmfile built from github.com/helmfile/helmfile (benchmarks compare against `helmfile sync`).
    pub helmfile: PathBuf,
    /// Everything `sandbox env` exports (KUBECONFIG, PATH, CHOREOCTL_SANDBOX_*, HELM_*).
    pub env: BTreeMap<String, String>,
}

static SANDBOX: LazyLock<Sandbox> = LazyLock::new(start);

/// Held by every [`Claim`]: the groups of tests/it/ownership.rs install OpenChoreo or change
/// cluster-wide objects on the shared clusters, share release names, and so run one at a
/// time. Such a test must not assume a clean cluster: an earlier one may have left an
/// installation behind.
static PLATFORM: Mutex<()> = Mutex::new(());

/// The shared sandbox, started on first use.
pub fn sandbox() -> &'static Sandbox {
    &SANDBOX
}

/// Repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn script(name: &str) -> PathBuf {
    repo_root().join("tests/sandbox").join(name)
}

fn run_checked(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("sandbox: cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "sandbox: {what} failed ({}); see the output above",
        out.status
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn start() -> Sandbox {
    // Built tools: build.sh is a cache hit when nothing changed; otherwise it builds (never skip).
    let bin = run_checked(
        &mut Command::new(script("build.sh")),
        "tests/sandbox/build.sh",
    );
    let bin_dir = PathBuf::from(bin.trim());

    let (name, owned) = match std::env::var("CHOREOCTL_TEST_SANDBOX") {
        Ok(n) if !n.is_empty() => (n, false),
        _ => (format!("it-{}", std::process::id()), true),
    };

    if owned {
        // Register the teardown before `up`, so even a failed or interrupted `up` is cleaned.
        tear_down_at_exit(&name);
        let all = [&CONTEXTS[..], &QUIET_CONTEXTS[..]].concat();
        eprintln!(
            "sandbox: bringing up '{name}' ({}, {NODES} nodes each)",
            all.join(",")
        );
        run_checked(
            up_command(&name, &all, NODES).stdout(Stdio::inherit()),
            "tests/sandbox/sandbox up",
        );
    }

    let env_out = run_checked(
        Command::new(script("sandbox")).args(["env", "--name", &name]),
        "tests/sandbox/sandbox env",
    );
    let env = parse_exports(&env_out);
    let get = |k: &str| -> String {
        env.get(k)
            .cloned()
            .unwrap_or_else(|| panic!("sandbox env does not export {k}:\n{env_out}"))
    };
    let sb_bin = PathBuf::from(get("CHOREOCTL_SANDBOX_BIN"));
    let contexts: Vec<String> = get("CHOREOCTL_SANDBOX_CONTEXTS")
        .split(',')
        .map(str::to_owned)
        .collect();
    for c in CONTEXTS.iter().chain(&QUIET_CONTEXTS) {
        assert!(
            contexts.iter().any(|x| x == c),
            "sandbox '{name}' has no context {c} (has {contexts:?})"
        );
    }
    let mut full_env = env.clone();
    let path = format!(
        "{}:{}",
        sb_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    full_env.insert("PATH".into(), path);
    if sb_bin != bin_dir {
        eprintln!(
            "sandbox: note: '{name}' runs binaries from {} (current build: {})",
            sb_bin.display(),
            bin_dir.display()
        );
    }
    Sandbox {
        kubeconfig: PathBuf::from(get("KUBECONFIG")),
        contexts,
        registry: get("CHOREOCTL_SANDBOX_REGISTRY"),
        mirror: get("CHOREOCTL_SANDBOX_MIRROR"),
        manifests: get("CHOREOCTL_SANDBOX_MANIFESTS"),
        helm: sb_bin.join("helm"),
        kubectl: sb_bin.join("kubectl"),
        // Clients only, so taken from the current build: a kept sandbox started from an older
        // build's bin dir may lack them.
        helm4: bin_dir.join("helm4"),
        helmfile: bin_dir.join("helmfile"),
        bin_dir: sb_bin,
        env: full_env,
    }
}

/// `tests/sandbox/sandbox <args>`.
pub fn script_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(script("sandbox"));
    cmd.args(args);
    cmd
}

/// `tests/sandbox/sandbox up --name <name> --clusters <clusters> --nodes <nodes>`.
pub fn up_command(name: &str, clusters: &[&str], nodes: usize) -> Command {
    script_command(&[
        "up",
        "--name",
        name,
        "--clusters",
        &clusters.join(","),
        "--nodes",
        &nodes.to_string(),
    ])
}

/// Parses `export K='V' [K2='V2' ...]` lines as printed by `sandbox env`.
fn parse_exports(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("export ") else {
            continue;
        };
        let mut s = rest;
        while let Some(eq) = s.find('=') {
            let key = s[..eq].trim().to_owned();
            let after = &s[eq + 1..];
            let (value, tail) = if let Some(q) = after.strip_prefix('\'') {
                let end = q.find('\'').expect("closing quote");
                (q[..end].to_owned(), &q[end + 1..])
            } else {
                let end = after.find(' ').unwrap_or(after.len());
                (after[..end].to_owned(), &after[end..])
            };
            // `PATH='bin':"$PATH"` is handled by the caller; keep only plain values.
            if !tail.starts_with(':') {
                out.insert(key, value);
            }
            s = tail.split_once(' ').map_or("", |(_, t)| t);
        }
    }
    out
}

/// Makes sure sandbox `name` is torn down (`sandbox down`) when this test process exits, however
/// it exits: a watchdog process waits for this one to go away. Call it before `up`.
// The watchdog must outlive this process, so it is deliberately never waited for.
#[allow(clippy::zombie_processes)]
pub fn tear_down_at_exit(name: &str) {
    let parent = std::process::id();
    let sandbox = script("sandbox");
    let log = std::env::temp_dir().join(format!("choreoctl-sandbox-{name}-down.log"));
    let sh = format!(
        "trap '' INT HUP TERM; while kill -0 {parent} 2>/dev/null; do sleep 1; done; \
         exec '{}' down --name '{name}' >'{}' 2>&1",
        sandbox.display(),
        log.display()
    );
    Command::new("sh")
        .args(["-c", &sh])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("sandbox: cannot spawn the teardown watchdog");
}

/// The subcommands that take `--chart-mirror`, `--manifest-mirror` and `--plain-http`
/// (src/cli/install.rs, `MirrorArgs`): [`Sandbox::choreoctl`] gives them the sandbox's mirrors.
const MIRROR_COMMANDS: &[&str] = &[
    "install",
    "plan",
    "diff",
    "module add",
    "module remove",
    "plane add",
    "plane remove",
    "uninstall",
];

impl Sandbox {
    /// choreoctl on the sandbox: a [`Test`] with the sandbox's kubeconfig, `--helm` (the built
    /// helm 3), and for [`MIRROR_COMMANDS`] the sandbox's chart and
    /// manifest mirrors over plain HTTP. Each of those flags is added after the test's own
    /// arguments unless the test passes it itself (another helm, another mirror). Installing needs the test's
    /// group to own the installation: use [`Claim::choreoctl`] (tests/it/ownership.rs); this
    /// one panics on `install`.
    #[track_caller]
    pub fn choreoctl(&self) -> Test {
        self.choreoctl_unchecked().inspect(|args, _| {
            assert!(
                !changes_clusters(args),
                "`choreoctl install` (or `module`/`plane` `add`/`remove`) on the shared sandbox needs a claim: \
                 take your test group's from tests/it/ownership.rs (`sandbox().claim(&GROUP)`)"
            );
        })
    }

    #[track_caller]
    fn choreoctl_unchecked(&self) -> Test {
        Test::new()
            .env("KUBECONFIG", &self.kubeconfig)
            .default_flag("--helm", Some(self.helm.as_os_str()), None)
            .default_flag(
                "--chart-mirror",
                Some(OsStr::new(&self.mirror)),
                Some(MIRROR_COMMANDS),
            )
            .default_flag(
                "--manifest-mirror",
                Some(OsStr::new(&self.manifests)),
                Some(MIRROR_COMMANDS),
            )
            .default_flag("--plain-http", None, Some(MIRROR_COMMANDS))
    }

    /// Takes `group`'s claim on the shared sandbox: what the group owns in the table of
    /// tests/it/ownership.rs, and the platform lock every group shares (its tests install or
    /// change what the others' see, so they run one at a time). Panics unless the caller's
    /// file is one of the group's modules. A test that panicked while holding a claim does not
    /// poison the lock for the others.
    #[track_caller]
    pub fn claim(&'static self, group: &'static Group) -> Claim {
        let caller = Location::caller().file();
        let module = Path::new(caller)
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default();
        assert!(
            group.modules.contains(&module),
            "{caller} claims group `{}`, whose tests are in {:?} (tests/it/ownership.rs)",
            group.name,
            group.modules
        );
        let platform = PLATFORM
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Claim {
            sandbox: self,
            group,
            _platform: platform,
        }
    }

    /// `kubectl --context <context> <args> -o json`, parsed; panics unless kubectl succeeds.
    pub fn kubectl_json(&self, context: &str, args: &[&str]) -> serde_json::Value {
        let out = run(self.kubectl(context).args(args).args(["-o", "json"]));
        serde_json::from_str(&out)
            .unwrap_or_else(|error| panic!("kubectl {args:?} on {context}: not JSON ({error})"))
    }
}

impl Sandbox {
    /// A kube client for one context. Build one per test (a client belongs to the tokio runtime
    /// it was created on, and every `#[tokio::test]` has its own).
    pub async fn client(&self, context: &str) -> kube::Client {
        let config = self.config(context).await;
        kube::Client::try_from(config).unwrap_or_else(|e| panic!("client for {context}: {e}"))
    }

    /// The kube config of one context, to tweak before building a client. Note that kube's
    /// default client retries 429/503/504 (up to 15 times with backoff): set
    /// `default_retry = false` to see a PodDisruptionBudget's 429 on an eviction at once.
    pub async fn config(&self, context: &str) -> kube::Config {
        let kubeconfig = kube::config::Kubeconfig::read_from(&self.kubeconfig)
            .unwrap_or_else(|e| panic!("reading {}: {e}", self.kubeconfig.display()));
        let options = kube::config::KubeConfigOptions {
            context: Some(context.to_owned()),
            ..Default::default()
        };
        kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .unwrap_or_else(|e| panic!("kubeconfig context {context}: {e}"))
    }

    /// A command with the sandbox environment (KUBECONFIG, PATH with the built tools first,
    /// CHOREOCTL_SANDBOX_*, HELM_* homes inside the sandbox).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.envs(&self.env);
        cmd
    }

    /// `helm` (the built one) with the sandbox environment.
    pub fn helm(&self) -> Command {
        self.command(&self.helm)
    }

    /// Every helm release on `context` of `kubeconfig`, as `helm list -A -a` reports it:
    /// (namespace, name) → (status, revision).
    pub fn helm_releases(
        &self,
        kubeconfig: &Path,
        context: &str,
    ) -> BTreeMap<(String, String), (String, u64)> {
        let out = run(self.helm().env("KUBECONFIG", kubeconfig).args([
            "list",
            "-A",
            "-a",
            "-o",
            "json",
            "--kube-context",
            context,
        ]));
        let list: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        list.iter()
            .map(|release| {
                let text = |key: &str| release[key].as_str().unwrap().to_owned();
                let revision = match &release["revision"] {
                    serde_json::Value::String(text) => text.parse().unwrap(),
                    number => number.as_u64().unwrap(),
                };
                (
                    (text("namespace"), text("name")),
                    (text("status"), revision),
                )
            })
            .collect()
    }

    /// `helm get values` of a release, as JSON.
    pub fn helm_values(&self, context: &str, namespace: &str, release: &str) -> serde_json::Value {
        let out = run(self.helm().args([
            "get",
            "values",
            release,
            "-n",
            namespace,
            "--kube-context",
            context,
            "-o",
            "json",
        ]));
        serde_json::from_str(&out).unwrap()
    }

    /// `kubectl --context <context>` with the sandbox environment.
    pub fn kubectl(&self, context: &str) -> Command {
        let mut cmd = self.command(&self.kubectl);
        cmd.args(["--context", context]);
        cmd
    }

    /// The OCI reference of a stand-in chart in the mirror, e.g. `oci://127.0.0.1:PORT/choreo/thunder`.
    pub fn chart(&self, name: &str) -> String {
        format!("{}/{name}", self.mirror)
    }

    /// Path of a stand-in chart's source directory (tests/charts/<name>).
    pub fn chart_dir(name: &str) -> PathBuf {
        repo_root().join("tests/charts").join(name)
    }
}

/// A test group's claim on the shared sandbox ([`Sandbox::claim`]): the sandbox itself
/// (it dereferences to [`Sandbox`]), what the group owns, and the platform lock, held until
/// dropped.
pub struct Claim {
    sandbox: &'static Sandbox,
    group: &'static Group,
    _platform: MutexGuard<'static, ()>,
}

impl Deref for Claim {
    type Target = Sandbox;

    fn deref(&self) -> &Sandbox {
        self.sandbox
    }
}

impl Claim {
    /// [`Sandbox::choreoctl`] for the group: before it runs, every sandbox context the command
    /// line or its profile names (`--context`, `--plane-context`, `spec.planes[].context`) and
    /// the installation it names (`--installation`, `--preset`, the profile's
    /// `metadata.name`) must be the group's, or the test panics saying which is not.
    #[track_caller]
    pub fn choreoctl(&self) -> Test {
        let group = self.group;
        let contexts = self.contexts.clone();
        self.sandbox
            .choreoctl_unchecked()
            .inspect(move |args, dir| group.check_run(args, dir, &contexts))
    }

    /// `context`, after asserting that the group owns it.
    #[track_caller]
    pub fn context<'a>(&self, context: &'a str) -> &'a str {
        self.group.assert_context(context);
        context
    }

    /// `installation`, after asserting that the group owns it.
    #[track_caller]
    pub fn installation<'a>(&self, installation: &'a str) -> &'a str {
        self.group.assert_installation(installation);
        installation
    }

    /// Puts `context` back as if `installation` had never run there: uninstalls every release
    /// named in `releases` found on it (any namespace, last one first, without hooks, waiting
    /// until its objects are gone) and deletes the installation's lock, journal and ownership
    /// marker (objects in `choreoctl-system` labelled with it). Both must be the group's.
    #[track_caller]
    pub fn reset(&self, context: &str, installation: &str, releases: &[&str]) {
        self.group.assert_context(context);
        self.group.assert_installation(installation);
        let live = self.helm_releases(&self.kubeconfig, context);
        for name in releases.iter().rev() {
            for (namespace, _) in live.keys().filter(|(_, release)| release == name) {
                run(self.helm().args([
                    "uninstall",
                    name,
                    "--namespace",
                    namespace,
                    "--kube-context",
                    context,
                    "--no-hooks",
                    "--wait",
                ]));
            }
        }
        run(self.kubectl(context).args([
            "-n",
            "choreoctl-system",
            "delete",
            "secret,lease,configmap",
            "-l",
            &format!("choreoctl.openchoreo.dev/installation={installation}"),
            "--ignore-not-found",
        ]));
    }
}

/// Runs a command, panics with its output unless it succeeds; returns stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls `f` every 250 ms until it returns `Some`, or panics after `timeout` with `what`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Like [`eventually`], but on timeout the panic message also holds `explain()`'s answer: what
/// the cluster looked like instead (objects' status, events), so a failure can be diagnosed from
/// the test output alone.
pub async fn eventually_explained<T, F, Fut, E, EFut>(
    timeout: Duration,
    what: &str,
    mut f: F,
    explain: E,
) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
    E: FnOnce() -> EFut,
    EFut: std::future::Future<Output = String>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if tokio::time::Instant::now() >= deadline {
            let state = explain().await;
            panic!("timed out after {timeout:?} waiting for {what}; state:\n{state}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::parse_exports;

    #[test]
    fn parses_sandbox_env_output() {
        let env = parse_exports(
            "export KUBECONFIG='/x/kubeconfig'\nexport PATH='/bin dir':\"$PATH\"\n\
             export HELM_CACHE_HOME='/h/c' HELM_CONFIG_HOME='/h/cfg' HELM_DATA_HOME='/h/d'\n",
        );
        assert_eq!(env["KUBECONFIG"], "/x/kubeconfig");
        assert!(!env.contains_key("PATH"));
        assert_eq!(env["HELM_CACHE_HOME"], "/h/c");
        assert_eq!(env["HELM_CONFIG_HOME"], "/h/cfg");
        assert_eq!(env["HELM_DATA_HOME"], "/h/d");
    }
}
