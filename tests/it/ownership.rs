//! Who owns what on the shared sandbox: one table of the test groups that install OpenChoreo
//! or change objects other tests see, each with the contexts it changes and the installations
//! (`metadata.name`) it installs. A test takes its group's claim with
//! `sandbox().claim(&GROUP)` (tests/it/sandbox.rs), which asserts that the test's file is one
//! of the group's modules, holds the platform lock every group shares (release names are
//! cluster-wide, so the groups run one at a time), and refuses a `choreoctl install`, a
//! [`Claim::reset`](crate::sandbox::Claim::reset) or a
//! [`Claim::context`](crate::sandbox::Claim::context) naming a context or installation the
//! group does not own.
//!
//! Tests outside these groups take no claim: they work in namespaces and release names of
//! their own (tests/it/helm.rs, tests/it/smoke.rs, tests/it/kube.rs, ...) and only read what
//! the groups install.

use std::ffi::OsString;
use std::panic::Location;
use std::path::Path;

use serde_json::Value;

use crate::harness::runs_command;

/// A group of sandbox tests and what it owns.
#[derive(Debug)]
pub struct Group {
    /// Name, for messages.
    pub name: &'static str,
    /// The test modules (tests/it/<module>.rs) whose tests may claim the group.
    pub modules: &'static [&'static str],
    /// The contexts on which the group's tests install or change objects.
    pub contexts: &'static [&'static str],
    /// The installations (`metadata.name`) the group's tests install or name.
    pub installations: &'static [&'static str],
}

/// The single-plane preset on `cp`: installed, re-installed with other values, helm versions,
/// the cilium edition (and its `cilium` release), helmfile, a mirror copy; read back by
/// `plan`, `diff`, `status`, the output tests and the step-mode test, which lets a CA copier
/// take the CA ConfigMap over and re-installs. Also the secret store's releases
/// (`external-secrets`, `openbao`) installed on `cp` by tests/it/secret_store.rs, which are
/// the preset's. tests/it/sync_ca.rs re-issues its agent certificate, replaces its CA copy,
/// and syncs them.
pub static SINGLE_PLANE: Group = Group {
    name: "single-plane",
    modules: &[
        "install",
        "diff",
        "status",
        "install_output",
        "log_format",
        "mirror",
        "helmfile_sync",
        "secret_store",
        "step_modes",
        "sync_ca",
    ],
    contexts: &["cp"],
    installations: &["single-plane"],
};

/// A profile whose control plane fails on `obs` (tests/it/install.rs).
pub static FAILING_RELEASE: Group = Group {
    name: "failing-release",
    modules: &["install"],
    contexts: &["obs"],
    installations: &["it-broken"],
};

/// The end-to-end runs of tests/it/install_runs.rs: killed runs on `dp2`, changed values and
/// failures on `obs` and `dp1`, a re-pointed control-plane context, shared observability on
/// all four, a release failing its first install.
pub static INSTALL_RUNS: Group = Group {
    name: "install-runs",
    modules: &["install_runs"],
    contexts: &["cp", "dp1", "dp2", "obs"],
    installations: &[
        "it-killed",
        "it-changes",
        "it-moved-control",
        "it-four-contexts",
        "it-first-install",
        "it-two-contexts",
    ],
};

/// The multi-cluster installs of tests/it/wiring.rs (control plane on `cp`, a data plane or
/// observability on `obs`), whose gateway certificate tests/it/gateway_tls.rs swaps and puts
/// back.
pub static GATEWAY: Group = Group {
    name: "gateway",
    modules: &["wiring", "gateway_tls"],
    contexts: &["cp", "obs"],
    installations: &["it-gateway-address", "it-remote-logs"],
};

/// `check` on `cp`, and `obs` without a default StorageClass for a while (tests/it/check.rs);
/// the shared-observability install it makes is refused before it changes anything.
pub static CHECK: Group = Group {
    name: "check",
    modules: &["check"],
    contexts: &["cp", "obs"],
    installations: &["shared-observability"],
};

/// The GitOps exports' CRDs (Argo CD, Flux) owned as helm releases on `cp`, and the CA
/// Secrets and ConfigMaps copy-cas.sh writes on `cp`, `dp1` and `obs` (tests/it/gitops.rs).
pub static GITOPS: Group = Group {
    name: "gitops",
    modules: &["gitops"],
    contexts: &["cp", "dp1", "obs"],
    installations: &[],
};

/// External Secrets installed on `dp2` for an ExternalSecret without its store
/// (tests/it/secret_store.rs).
pub static SECRET_STORE: Group = Group {
    name: "secret-store",
    modules: &["secret_store"],
    contexts: &["dp2"],
    installations: &[],
};

/// `module add` and `module remove` on a profile file of their own, on `dp2`
/// (tests/it/module_add.rs, tests/it/module_remove.rs): the single-plane layout, with
/// Continuous Delivery added to it or taken away; reset before and after.
pub static LIFECYCLE: Group = Group {
    name: "lifecycle",
    modules: &["module_add", "module_remove"],
    contexts: &["dp2"],
    installations: &["it-lifecycle"],
};

/// `uninstall --all` of an installation over `un1` and `un2`, the clusters no other test
/// touches (tests/it/uninstall.rs).
pub static UNINSTALL: Group = Group {
    name: "uninstall",
    modules: &["uninstall"],
    contexts: &["un1", "un2"],
    installations: &["it-uninstall"],
};

/// Every group.
pub static GROUPS: [&Group; 9] = [
    &SINGLE_PLANE,
    &FAILING_RELEASE,
    &INSTALL_RUNS,
    &GATEWAY,
    &CHECK,
    &GITOPS,
    &SECRET_STORE,
    &LIFECYCLE,
    &UNINSTALL,
];

impl Group {
    /// Panics unless the group owns `context`.
    #[track_caller]
    pub fn assert_context(&self, context: &str) {
        assert!(
            self.contexts.contains(&context),
            "{}: group `{}` does not own context `{context}` (it owns {:?}; \
             tests/it/ownership.rs)",
            Location::caller(),
            self.name,
            self.contexts
        );
    }

    /// Panics unless the group owns `installation`.
    #[track_caller]
    pub fn assert_installation(&self, installation: &str) {
        assert!(
            self.installations.contains(&installation),
            "{}: group `{}` does not own installation `{installation}` (it owns {:?}; \
             tests/it/ownership.rs)",
            Location::caller(),
            self.name,
            self.installations
        );
    }

    /// Checks a `choreoctl install` or `module add` command line (run in `dir`) against what
    /// the group owns:
    /// the contexts among `sandbox_contexts` it names, on the command line or in its
    /// profile, and the installation it names. Other commands change nothing and pass.
    pub fn check_run(&self, args: &[OsString], dir: &Path, sandbox_contexts: &[String]) {
        if !changes_clusters(args) {
            return;
        }
        let args: Vec<String> = args
            .iter()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        let value = |flag: &str| -> Vec<String> {
            let mut values = Vec::new();
            for (i, arg) in args.iter().enumerate() {
                if arg == flag {
                    values.extend(args.get(i + 1).cloned());
                } else if let Some(value) = arg.strip_prefix(&format!("{flag}=")) {
                    values.push(value.to_owned());
                }
            }
            values
        };
        let mut contexts = value("--context");
        contexts.extend(
            value("--plane-context")
                .iter()
                .filter_map(|binding| binding.split_once('=').map(|(_, c)| c.to_owned())),
        );
        let mut installations = value("--installation");
        installations.extend(value("--preset"));
        for file in [value("--profile"), value("-p")].concat() {
            let text = std::fs::read_to_string(dir.join(&file))
                .unwrap_or_else(|error| panic!("profile {file}: {error}"));
            let profile: Value = serde_saphyr::from_str(&text)
                .unwrap_or_else(|error| panic!("profile {file} is not YAML: {error}\n{text}"));
            installations.extend(profile["metadata"]["name"].as_str().map(str::to_owned));
            for plane in profile["spec"]["planes"].as_array().into_iter().flatten() {
                contexts.extend(plane["context"].as_str().map(str::to_owned));
            }
        }
        let command = format!("choreoctl {}", args.join(" "));
        for context in contexts
            .iter()
            .filter(|context| sandbox_contexts.contains(context))
        {
            assert!(
                self.contexts.contains(&context.as_str()),
                "`{command}` names context `{context}`, which group `{}` does not own (it \
                 owns {:?}; tests/it/ownership.rs)",
                self.name,
                self.contexts
            );
        }
        for installation in &installations {
            self.assert_run_installation(&command, installation);
        }
    }

    fn assert_run_installation(&self, command: &str, installation: &str) {
        assert!(
            self.installations.contains(&installation),
            "`{command}` names installation `{installation}`, which group `{}` does not own \
             (it owns {:?}; tests/it/ownership.rs)",
            self.name,
            self.installations
        );
    }
}

/// The commands that change clusters, by their first words: only a claim may run them.
const CHANGING_COMMANDS: &[&str] = &[
    "install",
    "module add",
    "module remove",
    "plane add",
    "plane remove",
    "plane sync-ca",
    "uninstall",
];

/// Whether a choreoctl command line runs one of [`CHANGING_COMMANDS`].
pub fn changes_clusters(args: &[OsString]) -> bool {
    CHANGING_COMMANDS
        .iter()
        .any(|command| runs_command(args, command))
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::{GROUPS, INSTALL_RUNS, SINGLE_PLANE};
    use crate::sandbox::{CONTEXTS, QUIET_CONTEXTS, repo_root};

    fn args(line: &str) -> Vec<OsString> {
        line.split(' ').map(OsString::from).collect()
    }

    fn contexts() -> Vec<String> {
        CONTEXTS.map(str::to_owned).to_vec()
    }

    #[test]
    fn an_install_on_a_context_of_the_group_passes_and_reads_are_not_checked() {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = contexts();
        SINGLE_PLANE.check_run(
            &args("install --preset single-plane --context cp --yes"),
            dir.path(),
            &sandbox,
        );
        SINGLE_PLANE.check_run(
            &args("status --context dp1 --installation x"),
            dir.path(),
            &sandbox,
        );
    }

    #[test]
    #[should_panic(expected = "names context `dp1`, which group `single-plane` does not own")]
    fn an_install_on_a_context_of_another_group_panics() {
        let dir = tempfile::tempdir().unwrap();
        SINGLE_PLANE.check_run(
            &args("install --preset single-plane --context dp1 --yes"),
            dir.path(),
            &contexts(),
        );
    }

    #[test]
    #[should_panic(expected = "names installation `it-elsewhere`, which group `install-runs`")]
    fn an_install_of_a_profile_naming_another_installation_panics() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("p.yaml"),
            "metadata: {name: it-elsewhere}\nspec:\n  planes:\n    - {name: c, context: dp2}\n",
        )
        .unwrap();
        INSTALL_RUNS.check_run(
            &args("install --profile p.yaml --yes"),
            dir.path(),
            &contexts(),
        );
    }

    /// Every group's modules exist, its contexts are the sandbox's, and no installation
    /// belongs to two groups.
    #[test]
    fn the_ownership_table_is_consistent() {
        let mut owners = std::collections::BTreeMap::new();
        for group in GROUPS {
            for module in group.modules {
                let file = repo_root().join(format!("tests/it/{module}.rs"));
                assert!(file.is_file(), "{}: no {}", group.name, file.display());
            }
            for context in group.contexts {
                assert!(
                    CONTEXTS.contains(context) || QUIET_CONTEXTS.contains(context),
                    "{}: {context}",
                    group.name
                );
            }
            for installation in group.installations {
                if let Some(other) = owners.insert(*installation, group.name) {
                    panic!("{installation} is owned by {other} and {}", group.name);
                }
            }
        }
    }
}
