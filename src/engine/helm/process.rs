//! The real [`Helm`]: the helm binary run with tokio.

use std::ffi::OsString;
use std::process::Stdio;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use super::values_dir::ValuesFiles;
use super::{
    ChartSource, Helm, HelmBinary, HelmError, HelmMajor, Redactor, Release, ReleaseRef, Revision,
    RollbackRequest, TemplateRequest, UninstallRequest, UpgradeRequest, argv,
};

/// Runs the helm binary. Cheap to share: each call is its own process.
#[derive(Debug, Clone)]
pub struct HelmProcess {
    binary: HelmBinary,
    major: HelmMajor,
}

impl HelmProcess {
    /// Speaks to `binary`, once its version is known to be supported.
    ///
    /// # Errors
    ///
    /// [`HelmError::Unsupported`] as [`HelmBinary::major`] (exit 4).
    pub fn new(binary: HelmBinary) -> Result<Self, HelmError> {
        let major = binary.major()?;
        Ok(HelmProcess { binary, major })
    }

    /// The binary.
    pub fn binary(&self) -> &HelmBinary {
        &self.binary
    }

    /// The major its command lines are built for.
    pub fn major(&self) -> HelmMajor {
        self.major
    }

    /// Runs helm with `argv`; stdout on success, otherwise an error with the redacted stderr.
    ///
    /// If the returned future is dropped before helm exits (a cancelled or timed-out step), helm
    /// gets SIGTERM, so that it records the release as `failed` instead of leaving it
    /// `pending-*` as a SIGKILL would. It takes helm a moment to do so, and its output is still
    /// drained meanwhile by tasks on the tokio runtime: a caller shutting down must keep the
    /// runtime up until helm has exited (or the release is no longer pending).
    async fn run(
        &self,
        argv: Vec<OsString>,
        operation: &str,
        redactor: &Redactor,
    ) -> Result<String, HelmError> {
        let mut command = Command::new(&self.binary.path);
        terminate_with_parent(&mut command);
        let child = command
            .args(&argv)
            // Release state is read from Secrets (see `storage`): make helm store it there.
            .env("HELM_DRIVER", "secret")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(false)
            .spawn()
            .map_err(|source| HelmError::Spawn {
                path: self.binary.path.clone(),
                source,
            })?;
        let mut running = TerminateOnDrop(child);
        // Drained by tasks of their own, which outlive this future: a helm cancelled by SIGTERM
        // prints "Release … has been cancelled" before it records the release failed, and a
        // closed pipe would kill it (SIGPIPE) first, leaving the release pending-*.
        let stdout = tokio::spawn(read_all(running.0.stdout.take().expect("stdout is piped")));
        let stderr = tokio::spawn(read_all(running.0.stderr.take().expect("stderr is piped")));
        let status = running.0.wait().await;
        let (stdout, stderr) = (joined(stdout).await, joined(stderr).await);
        let failed = |detail: String| HelmError::Failed {
            operation: operation.to_owned(),
            stderr: redactor.redact(detail.trim()),
        };
        let status = status.map_err(|error| failed(error.to_string()))?;
        let stderr = String::from_utf8_lossy(&stderr.unwrap_or_default()).into_owned();
        if !status.success() {
            return Err(failed(if stderr.trim().is_empty() {
                format!("helm exited with {status} and printed nothing on stderr")
            } else {
                stderr
            }));
        }
        let stdout = stdout.map_err(|error| failed(error.to_string()))?;
        Ok(String::from_utf8_lossy(&stdout).into_owned())
    }

    /// Runs helm with values written to private files for the duration of the command.
    async fn run_with_values(
        &self,
        values: &[serde_json::Value],
        argv: impl FnOnce(&[std::path::PathBuf]) -> Vec<OsString>,
        operation: &str,
    ) -> Result<String, HelmError> {
        let files = ValuesFiles::write(values).map_err(HelmError::Values)?;
        let redactor = Redactor::from_values(values);
        self.run(argv(&files.paths), operation, &redactor).await
    }
}

/// Holds a running helm; SIGTERM to it if it is dropped while helm still runs.
struct TerminateOnDrop(Child);

impl Drop for TerminateOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait()
            && let Some(pid) = self.0.id()
        {
            terminate(pid);
        }
    }
}

/// Makes the kernel send helm SIGTERM when choreoctl dies, however it dies (Linux): a choreoctl
/// killed with SIGKILL runs no destructor, and an orphaned helm would otherwise go on changing
/// the release while the next run recovers it, or die of SIGPIPE on its first write and leave it
/// `pending-*`. With SIGTERM it records the release `failed` and exits, as on a cancelled step.
#[cfg(target_os = "linux")]
fn terminate_with_parent(command: &mut Command) {
    // SAFETY: `getpid` was called before the fork; the closure runs in the child between fork and
    // exec and calls only async-signal-safe functions (prctl, getppid, raise), allocating nothing.
    let parent = unsafe { libc::getpid() };
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent died before prctl took effect: act as if the signal had come.
            if libc::getppid() != parent {
                libc::raise(libc::SIGTERM);
            }
            Ok(())
        });
    }
}

/// Elsewhere an orphaned helm runs on; SIGTERM is sent only when a step is cancelled.
#[cfg(not(target_os = "linux"))]
fn terminate_with_parent(_command: &mut Command) {}

/// Sends SIGTERM (tokio's `kill`, `start_kill` and `kill_on_drop` only send SIGKILL).
fn terminate(pid: u32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) reads and writes no memory of ours. The pid is our child's, and it has
    // not been reaped (try_wait just found it running), so it cannot name another process.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
}

async fn read_all(mut stream: impl AsyncRead + Unpin) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await?;
    Ok(bytes)
}

async fn joined(reader: JoinHandle<std::io::Result<Vec<u8>>>) -> std::io::Result<Vec<u8>> {
    reader.await.map_err(std::io::Error::other)?
}

fn describe(verb: &str, release: &ReleaseRef) -> String {
    format!(
        "helm {verb} {} (namespace {}, context {})",
        release.name, release.namespace, release.target.context
    )
}

fn parse<T: serde::de::DeserializeOwned>(
    stdout: &str,
    operation: &str,
    redactor: &Redactor,
) -> Result<T, HelmError> {
    serde_json::from_str(json_document(stdout)).map_err(|error| HelmError::Output {
        operation: operation.to_owned(),
        reason: redactor.redact(&error.to_string()),
    })
}

/// The JSON document in helm's stdout: helm 4 prints `Pulled: <ref>` and `Digest: <sha>` on
/// stdout before it when it pulls an OCI chart (helm 3 prints them on stderr), so lines before
/// the first one opening a JSON value are skipped.
fn json_document(stdout: &str) -> &str {
    let mut offset = 0;
    for line in stdout.split_inclusive('\n') {
        let text = line.trim_start();
        if text.starts_with('{') || text.starts_with('[') || text.starts_with("null") {
            return &stdout[offset..];
        }
        offset += line.len();
    }
    stdout
}

impl Helm for HelmProcess {
    fn version(&self) -> &semver::Version {
        &self.binary.version
    }

    async fn upgrade(&self, request: &UpgradeRequest) -> Result<Release, HelmError> {
        let verb = if request.dry_run {
            "upgrade --install --dry-run=server"
        } else {
            "upgrade --install"
        };
        let operation = describe(verb, &request.release);
        let stdout = self
            .run_with_values(
                &request.values,
                |files| argv::upgrade(self.major, request, files),
                &operation,
            )
            .await?;
        parse(&stdout, &operation, &Redactor::from_values(&request.values))
    }

    async fn rollback(&self, request: &RollbackRequest) -> Result<(), HelmError> {
        let operation = describe("rollback", &request.release);
        let argv = argv::rollback(self.major, request);
        self.run(argv, &operation, &Redactor::default()).await?;
        Ok(())
    }

    async fn uninstall(&self, request: &UninstallRequest) -> Result<(), HelmError> {
        let operation = describe("uninstall", &request.release);
        let argv = argv::uninstall(self.major, request);
        self.run(argv, &operation, &Redactor::default()).await?;
        Ok(())
    }

    async fn get_values(&self, release: &ReleaseRef) -> Result<serde_json::Value, HelmError> {
        let operation = describe("get values", release);
        let stdout = self
            .run(argv::get_values(release), &operation, &Redactor::default())
            .await?;
        let values: serde_json::Value = parse(&stdout, &operation, &Redactor::default())?;
        // helm prints `null` for a release installed without values.
        Ok(match values {
            serde_json::Value::Null => serde_json::json!({}),
            values => values,
        })
    }

    async fn get_manifest(&self, release: &ReleaseRef) -> Result<String, HelmError> {
        let operation = describe("get manifest", release);
        self.run(
            argv::get_manifest(release),
            &operation,
            &Redactor::default(),
        )
        .await
    }

    async fn history(&self, release: &ReleaseRef) -> Result<Vec<Revision>, HelmError> {
        let operation = describe("history", release);
        let stdout = self
            .run(argv::history(release), &operation, &Redactor::default())
            .await?;
        parse(&stdout, &operation, &Redactor::default())
    }

    async fn show_crds(&self, chart: &ChartSource) -> Result<String, HelmError> {
        let operation = format!(
            "helm show crds {} --version {}",
            chart.reference, chart.version
        );
        self.run(argv::show_crds(chart), &operation, &Redactor::default())
            .await
    }

    async fn template(&self, request: &TemplateRequest) -> Result<String, HelmError> {
        let operation = format!(
            "helm template {} {} --version {}",
            request.name, request.chart.reference, request.chart.version
        );
        self.run_with_values(
            &request.values,
            |files| argv::template(request, files),
            &operation,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::engine::helm::KubeTarget;

    /// A stand-in `helm` script: answers `version`, and on anything else runs `body`.
    fn fake_helm(dir: &Path, body: &str) -> HelmProcess {
        let path = dir.join("helm");
        std::fs::write(
            &path,
            format!("#!/bin/sh\nif [ \"$1\" = version ]; then echo v3.21.4; exit 0; fi\n{body}\n"),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        HelmProcess::new(HelmBinary::locate(Some(&path)).unwrap()).unwrap()
    }

    fn request(values: serde_json::Value) -> UpgradeRequest {
        UpgradeRequest {
            release: ReleaseRef {
                target: KubeTarget {
                    kubeconfig: PathBuf::from("/dev/null"),
                    context: "cp".into(),
                },
                namespace: "ns".into(),
                name: "rel".into(),
            },
            chart: ChartSource {
                reference: "oci://example/chart".into(),
                version: "1.0.0".into(),
                plain_http: false,
            },
            values: vec![values],
            wait: false,
            timeout: Duration::from_secs(60),
            rollback_on_failure: false,
            dry_run: false,
            labels: Vec::new(),
        }
    }

    /// Like helm, the stand-in prints on stdout when it is cancelled: its output must still be
    /// read, or the write kills it (SIGPIPE) before it records anything.
    #[tokio::test]
    async fn a_cancelled_helm_gets_sigterm_not_sigkill() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("signal");
        let helm = fake_helm(
            dir.path(),
            &format!(
                "trap 'echo Release cancelled; echo TERM > {m}; exit 143' TERM\n\
                 echo started > {m}\nwhile :; do sleep 0.05; done",
                m = marker.display()
            ),
        );
        let request = request(json!({}));
        let mut upgrade = Box::pin(helm.upgrade(&request));
        // Cancel only once the stand-in has set its trap: on a loaded machine starting a shell
        // can take longer than any fixed delay, and a TERM before the trap kills it silently.
        let trap_set = async {
            while std::fs::read_to_string(&marker).unwrap_or_default().trim() != "started" {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::select! {
            _ = &mut upgrade => panic!("the fake helm never ends by itself"),
            () = trap_set => {}
        }
        drop(upgrade);
        let mut said = String::new();
        for _ in 0..100 {
            said = std::fs::read_to_string(&marker).unwrap_or_default();
            if said.trim() == "TERM" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(said.trim(), "TERM", "helm was not sent SIGTERM");
    }

    #[tokio::test]
    async fn failures_carry_helms_stderr_with_secrets_redacted() {
        let dir = tempfile::tempdir().unwrap();
        // Echo the values file back on stderr, as a chart's failing `required` might.
        let helm = fake_helm(
            dir.path(),
            "while [ $# -gt 0 ]; do [ \"$1\" = --values ] && cat \"$2\" >&2; shift; done\n\
             echo 'Error: UPGRADE FAILED' >&2; exit 1",
        );
        let error = helm
            .upgrade(&request(json!({"db": {"password": "hunter2-secret"}})))
            .await
            .unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("helm upgrade --install rel (namespace ns, context cp) failed:"),
            "{message}"
        );
        assert!(message.contains("Error: UPGRADE FAILED"), "{message}");
        assert!(message.contains("[REDACTED]"), "{message}");
        assert!(!message.contains("hunter2-secret"), "{message}");
    }

    #[tokio::test]
    async fn values_files_are_gone_once_helm_has_run() {
        let dir = tempfile::tempdir().unwrap();
        let seen = dir.path().join("seen");
        let helm = fake_helm(
            dir.path(),
            &format!(
                "while [ $# -gt 0 ]; do [ \"$1\" = --values ] && echo \"$2\" > {}; shift; done\n\
                 echo '{{\"name\":\"rel\",\"namespace\":\"ns\",\"version\":1,\
                 \"info\":{{\"status\":\"deployed\"}}}}'",
                seen.display()
            ),
        );
        let release = helm.upgrade(&request(json!({"a": 1}))).await.unwrap();
        assert_eq!((release.revision, release.status.as_str()), (1, "deployed"));
        let file = std::fs::read_to_string(&seen).unwrap();
        assert!(!Path::new(file.trim()).exists(), "{file} left behind");
    }

    #[test]
    fn reads_the_json_after_the_pull_notes_helm_4_prints_on_stdout() {
        let stdout = "Pulled: 127.0.0.1:5000/choreo/cert-manager:v1.19.4\n\
                      Digest: sha256:534d3ac3ef9a\n\
                      {\"name\":\"rel\",\"namespace\":\"ns\",\"version\":1,\
                      \"info\":{\"status\":\"deployed\"}}\n";
        let release: crate::engine::helm::Release =
            parse(stdout, "helm upgrade", &Redactor::default()).unwrap();
        assert_eq!((release.name.as_str(), release.revision), ("rel", 1));
        let values: serde_json::Value =
            parse("Pulled: x\nnull\n", "helm get values", &Redactor::default()).unwrap();
        assert_eq!(values, serde_json::Value::Null);
        let error = parse::<serde_json::Value>("Pulled: x\n", "op", &Redactor::default());
        assert!(matches!(error, Err(HelmError::Output { .. })), "{error:?}");
    }
}
