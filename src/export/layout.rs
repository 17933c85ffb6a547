//! Where an export puts each step's files and what it names each step's objects, shared by
//! every format so that values and manifests sit at the same paths whichever engine reads them.

use std::fmt::Write as _;

use anyhow::Context;
use serde_json::Value;

use super::File;
use crate::output::to_yaml;
use crate::plan::{Action, ApplyAction, Step};

/// Whether a step becomes objects of its own in an export: helm releases and applies. Waits
/// and reads only order the others (their edges are kept, see [`super::dag::Dag`]).
pub fn is_exported(step: &Step) -> bool {
    matches!(step.action, Action::Helm(_) | Action::Apply(_))
}

/// `<subject>/<module>.<step>` from the step id `<module>/<step>@<subject>`: unique in a plan.
pub fn stem(step: &Step) -> String {
    let (path, subject) = step.id.split_once('@').unwrap_or((&step.id, &step.plane));
    format!("{subject}/{}", path.replacen('/', ".", 1))
}

/// The step's values file (helm steps), relative to the export's root.
pub fn values_file(step: &Step) -> String {
    format!("values/{}.values.yaml", stem(step))
}

/// The directory holding the step's objects (apply steps), relative to the export's root.
pub fn manifest_dir(step: &Step) -> String {
    format!("manifests/{}", stem(step))
}

/// A Kubernetes object name for the step, `<subject>-<module>-<step>`: a DNS label (at most 63
/// characters; longer ones keep a prefix and a hash of the whole).
pub fn object_name(step: &Step) -> String {
    dns_label(&stem(step).replace(['/', '.'], "-"))
}

/// `text` as a DNS label: lower case, `[a-z0-9-]`, at most 63 characters.
pub fn dns_label(text: &str) -> String {
    let mut label = String::new();
    for c in text.to_lowercase().chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if !(c == '-' && (label.is_empty() || label.ends_with('-'))) {
            label.push(c);
        }
    }
    let label = label.trim_end_matches('-').to_owned();
    if label.len() <= 63 {
        return label;
    }
    // FNV-1a: a short, stable suffix that keeps truncated names apart.
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{}-{:08x}", label[..54].trim_end_matches('-'), hash as u32)
}

/// The files of an apply step's directory: its objects in `objects.yaml`, or for a pinned
/// remote manifest a `kustomization.yaml` naming its URL (Argo CD and Flux both build it).
pub fn manifest_files(step: &Step, objects: &[Value]) -> anyhow::Result<Vec<File>> {
    let dir = manifest_dir(step);
    match &step.action {
        Action::Apply(ApplyAction::Remote(remote)) => Ok(vec![File {
            path: format!("{dir}/kustomization.yaml"),
            body: format!(
                "# {} {} (pinned manifest, fetched by the GitOps engine)\n\
                 apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
                 resources:\n- {}\n",
                step.id, remote.version, remote.url
            ),
        }]),
        _ => Ok(vec![File {
            path: format!("{dir}/objects.yaml"),
            body: yaml_stream(objects)?,
        }]),
    }
}

/// Objects as one multi-document YAML stream.
pub fn yaml_stream(objects: &[Value]) -> anyhow::Result<String> {
    let mut body = String::new();
    for object in objects {
        body.push_str("---\n");
        body.push_str(&to_yaml(object)?);
    }
    Ok(body)
}

/// A values file: the step's complete values, headed by where they go.
pub fn values_body(step: &Step, values: &Value) -> anyhow::Result<String> {
    let mut body = String::new();
    writeln!(
        body,
        "# {} (complete values, rendered by choreoctl)",
        step.id
    )
    .context("formatting")?;
    body.push_str(&to_yaml(values)?);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels_are_short_and_stay_apart() {
        assert_eq!(
            dns_label("dev/secure-core.data-plane"),
            "dev-secure-core-data-plane"
        );
        let long_a = dns_label(&format!("{}a", "x".repeat(80)));
        let long_b = dns_label(&format!("{}b", "x".repeat(80)));
        assert!(long_a.len() <= 63 && long_b.len() <= 63);
        assert_ne!(long_a, long_b);
    }
}
