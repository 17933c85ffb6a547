//! The command line as users and CI pipelines see it: every command available offline, its
//! output formats, and the exit codes of docs/exit-codes.md (0 success, 1 unexpected, 2 invalid
//! input). Every run is isolated by the harness: `NO_COLOR`, and `HOME`/`KUBECONFIG` in a
//! temporary directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::fixtures::{LAB_KUBECONFIG, modules, presets};
use crate::harness::{Test, assert_contains};

/// choreoctl `args`, offline; must succeed.
fn ok(args: &[&str]) -> String {
    Test::new().args(args).run().stdout
}

/// choreoctl `args`, offline; must print JSON.
fn json(args: &[&str]) -> Value {
    Test::new().args(args).run().json()
}

/// choreoctl `args`, offline; must fail with `code`. Returns stderr.
fn fails(code: i32, args: &[&str]) -> String {
    Test::new().args(args).status(code).run().stderr
}

/// The steps of a JSON plan.
fn steps(plan: &Value) -> &Vec<Value> {
    plan["steps"].as_array().expect("plan has steps")
}

fn step<'a>(plan: &'a Value, id: &str) -> &'a Value {
    steps(plan)
        .iter()
        .find(|step| step["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in the plan"))
}

/// Plane name → context of a JSON plan.
fn plane_contexts(plan: &Value) -> BTreeMap<String, Value> {
    plan["planes"]
        .as_array()
        .expect("plan has planes")
        .iter()
        .map(|plane| {
            (
                plane["name"].as_str().expect("plane name").to_string(),
                plane["context"].clone(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Exit 0

#[test]
fn plan_text_shows_planes_contexts_and_steps() {
    let text = ok(&[
        "plan",
        "--preset",
        "shared-observability",
        "--edition",
        "cilium",
    ]);
    assert_contains(
        &text,
        "Plan shared-observability: OpenChoreo 1.2.3, cilium edition, 4 planes,",
    );
    assert_contains(&text, "plane control (control), context cp:");
    assert_contains(&text, "plane obs (observability), context obs:");
    assert_contains(&text, "secure-core/control-plane@control");
    assert_contains(
        &text,
        "oci://ghcr.io/openchoreo/helm-charts/openchoreo-control-plane 1.2.3",
    );
}

#[test]
fn plan_json_is_a_consistent_dag_bound_to_plane_contexts() {
    for edition in ["cilium", "generic"] {
        let plan = json(&[
            "plan",
            "--preset",
            "shared-observability",
            "--edition",
            edition,
            "-o",
            "json",
        ]);
        assert_eq!(plan["kind"], "Plan");
        assert_eq!(plan["edition"], edition);

        // The control plane is installed without helm's --wait (it deadlocks; docs/engine.md, the `helm` step).
        let control_plane = step(&plan, "secure-core/control-plane@control");
        assert_eq!(control_plane["kind"], "helm", "{control_plane}");
        assert_eq!(control_plane["helm"]["wait"], false, "{control_plane}");

        // Cilium only on the Cilium edition, on every cluster.
        let cilium: Vec<&str> = steps(&plan)
            .iter()
            .filter(|step| step["release"] == "cilium")
            .map(|step| step["id"].as_str().unwrap())
            .collect();
        if edition == "cilium" {
            assert!(cilium.contains(&"secure-core/cilium@control"), "{cilium:?}");
            assert!(cilium.contains(&"secure-core/cilium@obs"), "{cilium:?}");
        } else {
            assert!(
                cilium.is_empty(),
                "cilium on the generic edition: {cilium:?}"
            );
        }

        // Each step runs against the context of the plane it runs on.
        let contexts = plane_contexts(&plan);
        assert_eq!(contexts["control"], "cp");
        assert_eq!(contexts["obs"], "obs");
        for step in steps(&plan) {
            let plane = step["plane"].as_str().expect("step plane");
            assert_eq!(step["context"], contexts[plane], "{step}");
        }

        // Ids are unique and every step needs only steps that come before it.
        let mut seen: Vec<&str> = Vec::new();
        for step in steps(&plan) {
            let id = step["id"].as_str().expect("step id");
            for need in step["needs"].as_array().expect("needs") {
                let need = need.as_str().expect("need is an id");
                assert!(
                    seen.contains(&need),
                    "{id} needs {need}, which is not an earlier step"
                );
            }
            assert!(!seen.contains(&id), "duplicate step id {id}");
            seen.push(id);
        }
    }
}

#[test]
fn plan_yaml_says_what_plan_json_says() {
    let args = ["plan", "--preset", "fintech", "--edition", "cilium"];
    let json = json(&[&args[..], &["-o", "json"]].concat());
    let yaml = ok(&[&args[..], &["-o", "yaml"]].concat());
    let yaml: Value = serde_saphyr::from_str(&yaml).expect("plan -o yaml is YAML");
    assert_eq!(yaml, json);
    assert_eq!(
        yaml["modules"],
        serde_json::json!(["secure-core", "cd", "observe", "guard"])
    );
}

#[test]
fn module_list_shows_every_module() {
    let text = ok(&["module", "list"]);
    for module in modules() {
        assert!(
            text.lines()
                .any(|line| line.split_whitespace().next() == Some(module)),
            "module {module} missing from:\n{text}"
        );
    }
    let json = json(&["module", "list", "-o", "json"]);
    let names: Vec<&str> = json
        .as_array()
        .expect("a list")
        .iter()
        .map(|row| row["name"].as_str().expect("name"))
        .collect();
    let mut expected = modules();
    expected.sort();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, expected);
}

#[test]
fn module_info_guard_explains_why_generic_cannot_have_it() {
    let text = ok(&["module", "info", "guard"]);
    assert_contains(&text, "Guard (guard), stage 4");
    assert_contains(
        &text,
        "generic: unsupported (Guard enforces Cilium network policies, and the generic edition has no Cilium)",
    );
    assert_contains(
        &text,
        "Guard needs the Cilium edition; run `choreoctl migrate generic-to-cilium` first",
    );
}

#[test]
fn matrix_json_has_levels_and_features_per_edition() {
    let matrix = json(&["matrix", "-o", "json"]);
    let row = |name: &str| {
        matrix
            .as_array()
            .expect("a list")
            .iter()
            .find(|row| row["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in the matrix"))
            .clone()
    };
    let guard = row("guard");
    assert_eq!(guard["editions"]["generic"]["level"], "unsupported");
    assert_eq!(guard["editions"]["cilium"]["level"], "full");
    let observe = row("observe");
    assert_eq!(observe["editions"]["generic"]["level"], "common");
    assert_eq!(
        observe["editions"]["generic"]["features"],
        serde_json::json!(["logs", "metrics"])
    );
    assert_eq!(observe["editions"]["cilium"]["level"], "advanced");
}

#[test]
fn profile_schema_is_draft_07_json_schema() {
    let schema = json(&["profile", "schema"]);
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert!(schema["properties"]["spec"].is_object(), "{schema}");
    assert_eq!(
        schema["properties"]["apiVersion"]["const"],
        "choreoctl.openchoreo.dev/v1alpha1"
    );
}

#[test]
fn profile_show_resolved_fills_in_defaults_and_placement() {
    let text = ok(&["profile", "show", "--preset", "fintech", "--resolved"]);
    assert_contains(&text, "name: fintech");
    assert_contains(&text, "domain: openchoreo.localhost");
    let resolved = json(&[
        "profile",
        "show",
        "--preset",
        "fintech",
        "--resolved",
        "-o",
        "json",
    ]);
    assert_eq!(resolved["edition"], "cilium");
    assert_eq!(resolved["version"], "1.2.3");
    let module = |name: &str| {
        resolved["modules"]
            .as_array()
            .expect("modules")
            .iter()
            .find(|module| module["name"] == name)
            .unwrap_or_else(|| panic!("module {name} resolved"))
            .clone()
    };
    assert_eq!(module("cd")["options"]["engine"], "argocd"); // the default
    assert_eq!(module("guard")["planes"], serde_json::json!(["payments"]));
    assert_eq!(module("guard")["options"]["mode"], "enforce");
    assert_eq!(module("observe")["level"], "advanced");
    assert_eq!(module("observe")["options"]["retentionDays"], 30);
}

#[test]
fn completion_and_version() {
    let bash = ok(&["completion", "bash"]);
    assert_contains(&bash, "_choreoctl()");
    assert_contains(&bash, "complete -F _choreoctl");
    let version = ok(&["version"]);
    assert_contains(
        &version,
        &format!("choreoctl {}", env!("CARGO_PKG_VERSION")),
    );
    assert_contains(&version, "OpenChoreo 1.2.3");
}

/// The embedded catalog unless `--catalog DIR` or `CHOREOCTL_CATALOG` names another.
#[test]
fn choreoctl_catalog_names_the_catalog_directory() {
    assert_eq!(json(&["version", "-o", "json"])["catalog"], "embedded");
    let root = env!("CARGO_MANIFEST_DIR");
    let version = Test::new()
        .env("CHOREOCTL_CATALOG", root)
        .args(["version", "-o", "json"])
        .run()
        .json();
    assert_eq!(version["catalog"], root);
}

#[test]
fn render_writes_an_index_and_one_values_file_per_helm_step() {
    let args = ["--preset", "shared-observability", "--edition", "cilium"];
    let plan = json(&[&["plan"][..], &args, &["-o", "json"]].concat());
    let render = Test::new()
        .arg("render")
        .args(args)
        .args(["--out", "rendered"])
        .run();
    let out = render.path("rendered");

    let index: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(out.join("index.yaml")).expect("index.yaml written"),
    )
    .expect("index.yaml is YAML");
    assert_eq!(index["kind"], "RenderIndex");
    assert_eq!(
        index["steps"].as_array().expect("index steps").len(),
        steps(&plan).len()
    );

    let files = files_under(&out);
    let values: Vec<&PathBuf> = files
        .iter()
        .filter(|path| path.to_string_lossy().ends_with(".values.yaml"))
        .collect();
    let helm: Vec<&Value> = steps(&plan)
        .iter()
        .filter(|step| step["kind"] == "helm")
        .collect();
    assert!(!helm.is_empty());
    assert_eq!(values.len(), helm.len(), "values files: {values:?}");

    // Outputs of read steps (CA certificates) are unknown offline: what consumes them shows a
    // placeholder, and nothing else does.
    let reads: Vec<&str> = steps(&plan)
        .iter()
        .filter(|step| step["kind"] == "read")
        .map(|step| step["id"].as_str().unwrap())
        .collect();
    for (step, index_entry) in steps(&plan).iter().zip(index["steps"].as_array().unwrap()) {
        let Some(file) = index_entry["file"].as_str() else {
            continue;
        };
        let body = std::fs::read_to_string(out.join(file)).expect("rendered file");
        let consumes = step["needs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|need| reads.contains(&need.as_str().unwrap()));
        if step["kind"] == "helm" && !consumes {
            assert!(
                !body.contains("<from plane"),
                "{file} has a placeholder but {} consumes no output",
                step["id"]
            );
        }
    }
    let registers: Vec<&PathBuf> = files
        .iter()
        .filter(|path| path.to_string_lossy().ends_with("-register.yaml"))
        .collect();
    assert_eq!(
        registers.len(),
        3,
        "one registration per data, workflow and observability plane: {registers:?}"
    );
    for register in registers {
        let body = std::fs::read_to_string(register).unwrap();
        assert_contains(&body, "<from plane");
    }
}

#[test]
fn quiet_render_writes_the_same_files_without_the_status_line() {
    let args = ["render", "--edition", "cilium", "--out", "rendered"];
    let normal = Test::new().args(args).run();
    let written = relative_files_under(&normal.path("rendered"));
    assert_eq!(
        normal.stderr,
        format!("wrote {} files to rendered\n", written.len())
    );

    let quiet = Test::new().args(args).arg("-q").run();
    assert_eq!(quiet.stderr, "", "-q prints no status line");
    assert_eq!(relative_files_under(&quiet.path("rendered")), written);
}

#[test]
fn verbose_render_names_every_file_it_writes() {
    let verbose = Test::new()
        .args(["render", "--edition", "generic", "--out", "rendered", "-v"])
        .run();
    let written = files_under(&verbose.path("rendered"));
    for file in &written {
        let relative = file.strip_prefix(verbose.path("")).unwrap();
        assert_contains(&verbose.stderr, &format!("wrote {}\n", relative.display()));
    }
    assert_contains(
        &verbose.stderr,
        &format!("wrote {} files to rendered\n", written.len()),
    );
    fails(
        2,
        &["render", "--edition", "generic", "--out", "x", "-q", "-v"],
    );
}

/// The files below `dir`, relative to it.
fn relative_files_under(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .map(|file| file.strip_prefix(dir).unwrap().to_path_buf())
        .collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

// ---------------------------------------------------------------------------------------------
// Contexts

#[test]
fn context_binds_every_plane() {
    let plan = Test::new()
        .kubeconfig(LAB_KUBECONFIG)
        .args([
            "plan",
            "--preset",
            "shared-observability",
            "--edition",
            "cilium",
            "--context",
            "beta",
            "-o",
            "json",
        ])
        .run()
        .json();
    for (plane, context) in plane_contexts(&plan) {
        assert_eq!(context, "beta", "plane {plane}");
    }
    assert!(steps(&plan).iter().all(|step| step["context"] == "beta"));
}

#[test]
fn plane_context_binds_one_plane() {
    let plan = json(&[
        "plan",
        "--preset",
        "shared-observability",
        "--edition",
        "cilium",
        "--plane-context",
        "dev=foo",
        "-o",
        "json",
    ]);
    let contexts = plane_contexts(&plan);
    assert_eq!(contexts["dev"], "foo");
    assert_eq!(contexts["control"], "cp");
    assert_eq!(contexts["ci"], "cp");
    assert_eq!(contexts["obs"], "obs");
    assert_eq!(step(&plan, "secure-core/data-plane@dev")["context"], "foo");
}

#[test]
fn planes_without_a_context_take_the_current_one() {
    let plan = Test::new()
        .kubeconfig(LAB_KUBECONFIG)
        .args(["plan", "--edition", "generic", "-o", "json"])
        .run()
        .json();
    assert!(
        plane_contexts(&plan)
            .values()
            .all(|context| context == "alpha"),
        "{plan}"
    );
}

#[test]
fn a_context_the_kubeconfig_lacks_is_refused_with_the_ones_it_has() {
    let stderr = Test::new()
        .kubeconfig(LAB_KUBECONFIG)
        .args([
            "plan",
            "--preset",
            "multi-plane",
            "--edition",
            "cilium",
            "--context",
            "gamma",
        ])
        .status(2)
        .run()
        .stderr;
    assert_contains(&stderr, "context `gamma`");
    assert_contains(&stderr, "alpha, beta");
    assert_contains(&stderr, "help:");
}

// ---------------------------------------------------------------------------------------------
// Exit 2: invalid input

#[test]
fn usage_errors_exit_2() {
    let stderr = fails(2, &["plan", "--edition", "cilium", "--frobnicate"]);
    assert_contains(&stderr, "--frobnicate");
    let stderr = fails(2, &["frobnicate"]);
    assert_contains(&stderr, "frobnicate");
    let stderr = fails(2, &["plan", "--edition", "cillium"]);
    assert_contains(&stderr, "cilium");
    fails(2, &["render", "--edition", "cilium"]); // --out is required
}

#[test]
fn unknown_preset_lists_the_presets() {
    let stderr = fails(2, &["plan", "--preset", "nope"]);
    assert_contains(&stderr, "unknown preset `nope`");
    for preset in presets() {
        assert_contains(&stderr, preset);
    }
    let stderr = fails(2, &["plan", "--preset", "fintek"]);
    assert_contains(&stderr, "did you mean `fintech`?");
}

#[test]
fn profile_and_preset_together_are_refused() {
    let stderr = Test::new()
        .file("p.yaml", "apiVersion: choreoctl.openchoreo.dev/v1alpha1\n")
        .args(["plan", "--profile", "p.yaml", "--preset", "fintech"])
        .status(2)
        .run()
        .stderr;
    assert_contains(&stderr, "--preset");
    assert_contains(&stderr, "--profile");
}

#[test]
fn plane_context_must_name_a_plane_and_a_context() {
    let stderr = fails(
        2,
        &[
            "plan",
            "--preset",
            "multi-plane",
            "--edition",
            "cilium",
            "--plane-context",
            "nope=x",
        ],
    );
    assert_contains(&stderr, "--plane-context names unknown plane `nope`");
    assert_contains(&stderr, "control, ci, dev, prod");
    let stderr = fails(
        2,
        &[
            "plan",
            "--preset",
            "multi-plane",
            "--edition",
            "cilium",
            "--plane-context",
            "prd=x",
        ],
    );
    assert_contains(&stderr, "did you mean `prod`?");
    let stderr = fails(
        2,
        &["plan", "--edition", "cilium", "--plane-context", "bad"],
    );
    assert_contains(&stderr, "`bad` is not PLANE=CONTEXT");
}

#[test]
fn module_info_of_an_unknown_module_suggests_and_lists() {
    let stderr = fails(2, &["module", "info", "nope"]);
    assert_contains(&stderr, "unknown module `nope`");
    for module in modules() {
        assert_contains(&stderr, module);
    }
    let stderr = fails(2, &["module", "info", "gaurd"]);
    assert_contains(&stderr, "did you mean `guard`?");
}

#[test]
fn guard_on_the_generic_edition_is_refused_with_the_way_out() {
    let stderr = fails(2, &["plan", "--preset", "fintech", "--edition", "generic"]);
    assert_contains(&stderr, "profiles/fintech.yaml:15:");
    assert_contains(
        &stderr,
        "Guard needs the Cilium edition; run `choreoctl migrate generic-to-cilium` first",
    );
}

#[test]
fn plan_without_any_profile_says_how_to_give_one() {
    let stderr = fails(2, &["plan"]);
    assert_contains(&stderr, "no profile given");
    assert_contains(&stderr, "--edition");
    assert_contains(&stderr, "--preset");
}

#[test]
fn a_missing_profile_file_is_invalid_input() {
    let stderr = fails(2, &["plan", "--profile", "no-such-profile.yaml"]);
    assert_contains(&stderr, "no-such-profile.yaml");
}

// ---------------------------------------------------------------------------------------------
// Exit 1: unexpected errors

#[test]
fn render_into_an_unwritable_place_exits_1() {
    let stderr = fails(
        1,
        &[
            "render",
            "--edition",
            "cilium",
            "--out",
            "/proc/choreoctl-x",
        ],
    );
    assert_contains(&stderr, "/proc/choreoctl-x");
    let stderr = Test::new()
        .file("a-file", "not a directory")
        .args(["render", "--edition", "cilium", "--out", "a-file/rendered"])
        .status(1)
        .run()
        .stderr;
    assert_contains(&stderr, "Not a directory");
    // The cause is stated once, not once per level of the error chain.
    assert_eq!(
        stderr.matches("Not a directory").count(),
        1,
        "the cause is repeated:\n{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// Pipes

/// `choreoctl … | head` closes stdout early: that is not an error (exit 0, nothing on stderr).
#[test]
fn a_closed_stdout_is_not_an_error() {
    let mut failures = Vec::new();
    for args in [
        &["plan", "--edition", "cilium"][..],
        &["plan", "--edition", "cilium", "-o", "json"],
        &["plan", "--edition", "cilium", "-o", "yaml"],
        &["matrix", "-o", "json"],
        &["module", "list"],
        &[
            "profile",
            "show",
            "--preset",
            "fintech",
            "--resolved",
            "-o",
            "json",
        ],
        &["profile", "schema"],
        &["completion", "bash"],
    ] {
        let output = Test::new().args(args).close_stdout().output();
        if output.code != Some(0) || !output.stderr.is_empty() {
            failures.push(format!(
                "{}: exit {:?}, stderr:\n{}",
                output.command,
                output.code,
                output.stderr.lines().take(4).collect::<Vec<_>>().join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "with stdout closed early:\n{}",
        failures.join("\n")
    );
}
