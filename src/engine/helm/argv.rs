//! helm command lines, per major (research/engine.md §2). Pure: tested without helm.
//!
//! Differences handled here:
//! - roll back on failure: helm 3 `--atomic`, helm 4 `--rollback-on-failure`;
//! - waiting: helm 3 `--wait` (a bool), helm 4 `--wait=watcher` (a strategy; written with `=` so
//!   the strategy is not taken for a positional argument); without it helm 4 waits for hooks only;
//! - apply method: helm 4 is told `--server-side=auto` (server-side for a new release, the
//!   previous revision's method on upgrade, so a release installed by helm 3 stays client-side);
//!   helm 3 only applies client-side.
//!
//! Values are never on the command line: only the paths of the files holding them (`-f`,
//! repeated, later files win).

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use super::{
    ChartSource, HelmMajor, KubeTarget, ReleaseRef, RollbackRequest, TemplateRequest,
    UninstallRequest, UpgradeRequest,
};

/// A command line under construction.
#[derive(Default)]
struct Argv(Vec<OsString>);

impl Argv {
    fn new(words: &[&str]) -> Self {
        let mut argv = Argv::default();
        argv.words(words);
        argv
    }

    fn words(&mut self, words: &[&str]) -> &mut Self {
        self.0.extend(words.iter().map(OsString::from));
        self
    }

    fn flag_value(&mut self, flag: &str, value: impl Into<OsString>) -> &mut Self {
        self.0.push(flag.into());
        self.0.push(value.into());
        self
    }

    fn flag_if(&mut self, condition: bool, flag: &str) -> &mut Self {
        if condition {
            self.0.push(flag.into());
        }
        self
    }

    /// `--kube-context` and `--kubeconfig`, always explicit.
    fn target(&mut self, target: &KubeTarget) -> &mut Self {
        self.flag_value("--kube-context", target.context.as_str())
            .flag_value("--kubeconfig", target.kubeconfig.as_os_str())
    }

    /// The release's namespace and cluster.
    fn release(&mut self, release: &ReleaseRef) -> &mut Self {
        self.flag_value("--namespace", release.namespace.as_str())
            .target(&release.target)
    }

    fn chart(&mut self, chart: &ChartSource) -> &mut Self {
        self.flag_value("--version", chart.version.as_str())
            .flag_if(chart.plain_http, "--plain-http")
    }

    fn values(&mut self, files: &[PathBuf]) -> &mut Self {
        for file in files {
            self.flag_value("--values", file.as_os_str());
        }
        self
    }

    fn wait(&mut self, major: HelmMajor, wait: bool) -> &mut Self {
        match major {
            HelmMajor::V3 => self.flag_if(wait, "--wait"),
            HelmMajor::V4 => self.flag_if(wait, "--wait=watcher"),
        }
    }

    fn timeout(&mut self, timeout: Duration) -> &mut Self {
        self.flag_value("--timeout", go_duration(timeout))
    }
}

/// A Go duration for `--timeout`: whole seconds, or milliseconds when there is a fraction.
fn go_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

/// `helm upgrade --install`, printing the release as JSON.
pub fn upgrade(major: HelmMajor, request: &UpgradeRequest, values: &[PathBuf]) -> Vec<OsString> {
    let mut argv = Argv::new(&["upgrade", "--install"]);
    argv.words(&[&request.release.name, &request.chart.reference])
        .chart(&request.chart)
        .release(&request.release)
        .words(&["--create-namespace", "--output", "json"]);
    if !request.labels.is_empty() {
        let labels: Vec<String> = request
            .labels
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        argv.flag_value("--labels", labels.join(","));
    }
    argv.values(values)
        .timeout(request.timeout)
        .wait(major, request.wait)
        .flag_if(request.dry_run, "--dry-run=server");
    match major {
        HelmMajor::V3 => argv.flag_if(request.rollback_on_failure, "--atomic"),
        HelmMajor::V4 => argv
            .words(&["--server-side=auto"])
            .flag_if(request.rollback_on_failure, "--rollback-on-failure"),
    };
    argv.0
}

/// `helm rollback`.
pub fn rollback(major: HelmMajor, request: &RollbackRequest) -> Vec<OsString> {
    let mut argv = Argv::new(&["rollback", &request.release.name]);
    if let Some(revision) = request.revision {
        argv.words(&[&revision.to_string()]);
    }
    argv.release(&request.release)
        .timeout(request.timeout)
        .wait(major, request.wait);
    argv.0
}

/// `helm uninstall`.
pub fn uninstall(major: HelmMajor, request: &UninstallRequest) -> Vec<OsString> {
    let mut argv = Argv::new(&["uninstall", &request.release.name]);
    argv.release(&request.release)
        .timeout(request.timeout)
        .wait(major, request.wait);
    argv.0
}

/// `helm get values` as JSON.
pub fn get_values(release: &ReleaseRef) -> Vec<OsString> {
    let mut argv = Argv::new(&["get", "values", &release.name, "--output", "json"]);
    argv.release(release);
    argv.0
}

/// `helm get manifest`.
pub fn get_manifest(release: &ReleaseRef) -> Vec<OsString> {
    let mut argv = Argv::new(&["get", "manifest", &release.name]);
    argv.release(release);
    argv.0
}

/// `helm history` as JSON.
pub fn history(release: &ReleaseRef) -> Vec<OsString> {
    let mut argv = Argv::new(&["history", &release.name, "--output", "json"]);
    argv.release(release);
    argv.0
}

/// `helm show crds`: the CRDs of a chart's `crds/` directories, its subcharts' included
/// (client-only: no kube target).
pub fn show_crds(chart: &ChartSource) -> Vec<OsString> {
    let mut argv = Argv::new(&["show", "crds", &chart.reference]);
    argv.chart(chart);
    argv.0
}

/// `helm template` (client-only: no kube target).
pub fn template(request: &TemplateRequest, values: &[PathBuf]) -> Vec<OsString> {
    let mut argv = Argv::new(&["template", &request.name, &request.chart.reference]);
    argv.chart(&request.chart)
        .flag_value("--namespace", request.namespace.as_str())
        .values(values);
    if let Some(kube_version) = &request.kube_version {
        argv.flag_value("--kube-version", kube_version.as_str());
    }
    argv.0
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SECRET: &str = "s3cr3t-value-that-must-not-leak";

    fn release() -> ReleaseRef {
        ReleaseRef {
            target: KubeTarget {
                kubeconfig: PathBuf::from("/home/me/.kube/config"),
                context: "cp".into(),
            },
            namespace: "cert-manager".into(),
            name: "cert-manager".into(),
        }
    }

    fn chart() -> ChartSource {
        ChartSource {
            reference: "oci://mirror.example/charts/cert-manager".into(),
            version: "v1.19.4".into(),
            plain_http: false,
        }
    }

    fn upgrade_request() -> UpgradeRequest {
        UpgradeRequest {
            release: release(),
            chart: chart(),
            values: vec![json!({"crds": {"enabled": true}, "auth": {"password": SECRET}})],
            wait: true,
            timeout: Duration::from_secs(300),
            rollback_on_failure: false,
            dry_run: false,
            labels: vec![("choreoctl.openchoreo.dev/installation".into(), "lab".into())],
        }
    }

    fn values_files() -> Vec<PathBuf> {
        vec![
            PathBuf::from("/tmp/choreoctl-helm-x/values-0.json"),
            PathBuf::from("/tmp/choreoctl-helm-x/values-1.json"),
        ]
    }

    fn line(argv: Vec<OsString>) -> String {
        argv.iter()
            .map(|word| word.to_str().expect("utf-8"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    const COMMON: &str = "upgrade --install cert-manager oci://mirror.example/charts/cert-manager \
        --version v1.19.4 --namespace cert-manager --kube-context cp \
        --kubeconfig /home/me/.kube/config --create-namespace --output json \
        --labels choreoctl.openchoreo.dev/installation=lab \
        --values /tmp/choreoctl-helm-x/values-0.json \
        --values /tmp/choreoctl-helm-x/values-1.json --timeout 300s";

    #[test]
    fn helm_3_upgrade_waits_with_a_bool_and_rolls_back_with_atomic() {
        let mut request = upgrade_request();
        request.rollback_on_failure = true;
        assert_eq!(
            line(upgrade(HelmMajor::V3, &request, &values_files())),
            format!("{COMMON} --wait --atomic")
        );
    }

    #[test]
    fn helm_4_upgrade_waits_with_the_watcher_and_rolls_back_on_failure() {
        let mut request = upgrade_request();
        request.rollback_on_failure = true;
        assert_eq!(
            line(upgrade(HelmMajor::V4, &request, &values_files())),
            format!("{COMMON} --wait=watcher --server-side=auto --rollback-on-failure")
        );
    }

    #[test]
    fn upgrade_without_wait_dry_run_on_the_server_over_plain_http() {
        let mut request = upgrade_request();
        request.wait = false;
        request.dry_run = true;
        request.chart.plain_http = true;
        request.timeout = Duration::from_millis(90_500);
        let with_plain_http = COMMON
            .replace("--version v1.19.4", "--version v1.19.4 --plain-http")
            .replace("300s", "90500ms");
        assert_eq!(
            line(upgrade(HelmMajor::V3, &request, &values_files())),
            format!("{with_plain_http} --dry-run=server")
        );
        assert_eq!(
            line(upgrade(HelmMajor::V4, &request, &values_files())),
            format!("{with_plain_http} --dry-run=server --server-side=auto")
        );
    }

    #[test]
    fn values_never_appear_on_the_command_line() {
        for major in [HelmMajor::V3, HelmMajor::V4] {
            let argv = line(upgrade(major, &upgrade_request(), &values_files()));
            assert!(!argv.contains(SECRET), "{argv}");
            assert!(!argv.contains("crds"), "{argv}");
            assert!(!argv.contains("--set"), "{argv}");
            let template = line(template(
                &TemplateRequest {
                    name: "cert-manager".into(),
                    namespace: "cert-manager".into(),
                    chart: chart(),
                    values: upgrade_request().values,
                    kube_version: None,
                },
                &values_files(),
            ));
            assert!(!template.contains(SECRET), "{template}");
            assert!(!template.contains("--set"), "{template}");
        }
    }

    #[test]
    fn every_cluster_command_names_its_context_and_kubeconfig() {
        let target =
            "--namespace cert-manager --kube-context cp --kubeconfig /home/me/.kube/config";
        let rollback_request = RollbackRequest {
            release: release(),
            revision: Some(2),
            wait: true,
            timeout: Duration::from_secs(60),
        };
        assert_eq!(
            line(rollback(HelmMajor::V3, &rollback_request)),
            format!("rollback cert-manager 2 {target} --timeout 60s --wait")
        );
        let previous = RollbackRequest {
            revision: None,
            ..rollback_request
        };
        assert_eq!(
            line(rollback(HelmMajor::V4, &previous)),
            format!("rollback cert-manager {target} --timeout 60s --wait=watcher")
        );
        let uninstall_request = UninstallRequest {
            release: release(),
            wait: false,
            timeout: Duration::from_secs(120),
        };
        for major in [HelmMajor::V3, HelmMajor::V4] {
            assert_eq!(
                line(uninstall(major, &uninstall_request)),
                format!("uninstall cert-manager {target} --timeout 120s")
            );
        }
        assert_eq!(
            line(get_values(&release())),
            format!("get values cert-manager --output json {target}")
        );
        assert_eq!(
            line(get_manifest(&release())),
            format!("get manifest cert-manager {target}")
        );
        assert_eq!(
            line(history(&release())),
            format!("history cert-manager --output json {target}")
        );
    }

    #[test]
    fn show_crds_names_the_chart_and_its_version_only() {
        assert_eq!(
            line(show_crds(&chart())),
            "show crds oci://mirror.example/charts/cert-manager --version v1.19.4"
        );
    }

    #[test]
    fn template_renders_offline_for_a_kubernetes_version() {
        let request = TemplateRequest {
            name: "cm".into(),
            namespace: "cert-manager".into(),
            chart: ChartSource {
                plain_http: true,
                ..chart()
            },
            values: vec![],
            kube_version: Some("1.33.0".into()),
        };
        assert_eq!(
            line(template(&request, &values_files()[..1])),
            "template cm oci://mirror.example/charts/cert-manager --version v1.19.4 --plain-http \
             --namespace cert-manager --values /tmp/choreoctl-helm-x/values-0.json \
             --kube-version 1.33.0"
        );
    }
}
