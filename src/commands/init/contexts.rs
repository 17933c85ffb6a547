//! Binding the topology's planes to kubeconfig contexts: from `--plane-context` and
//! `--context`, or asked, planes that share a context in the preset kept together.

use super::InitRequest;
use super::layout::wrap;
use crate::commands::prompt::Asker;
use crate::error::Error;
use crate::init::{TopologyPreset, unlocated};
use crate::kubeconfig::Contexts;
use crate::profile::ProfileError;
use crate::profile::model::PlaneSpec;
use crate::suggest::hint;

/// The topology's planes bound to contexts: from `--plane-context`, `--context`, or asked.
pub(super) fn bind_contexts(
    request: &InitRequest,
    preset: &TopologyPreset,
    topology_known: bool,
    known: Option<&Contexts>,
    asker: &Asker,
) -> Result<Vec<PlaneSpec>, Error> {
    let names: Vec<&str> = preset
        .planes
        .iter()
        .map(|p| p.name.value.as_str())
        .collect();
    if let Some((name, _)) = request
        .plane_contexts
        .iter()
        .find(|(name, _)| topology_known && !names.contains(&name.as_str()))
    {
        return Err(ProfileError::Flag {
            message: format!("--plane-context names unknown plane `{name}`"),
            help: format!(
                "{}the topology's planes are: {}",
                hint(name, names.iter().copied()),
                names.join(", ")
            ),
        }
        .into());
    }
    let unbound = |plane: &PlaneSpec| {
        request.context.is_none()
            && !request
                .plane_contexts
                .iter()
                .any(|(name, _)| *name == plane.name.value)
    };
    let unbound_names: Vec<&str> = preset
        .planes
        .iter()
        .filter(|plane| unbound(plane))
        .map(|plane| plane.name.value.as_str())
        .collect();
    let flag = if topology_known {
        format!(
            "--plane-context PLANE=CTX for {} (or --context CTX)",
            unbound_names.join(", ")
        )
    } else {
        "--context CTX or --plane-context PLANE=CTX for each plane of the topology".into()
    };
    if !unbound_names.is_empty() {
        let planes: Vec<String> = preset
            .planes
            .iter()
            .map(|plane| format!("{} ({})", plane.name.value, plane.plane_type.value))
            .collect();
        let source = match known {
            Some(contexts) => format!("the contexts of {}", contexts.origin),
            None => "a context name (no kubeconfig is readable; empty: the current context)".into(),
        };
        let explanation = format!(
            "Planes: {}. Planes on the same context share a cluster. Choose from {source}.\n",
            planes.join(", ")
        );
        asker.say(&wrap(&explanation, asker.width()));
    }
    // Preset context → the context chosen for it, so co-located planes stay together.
    let mut chosen: Vec<(Option<String>, Option<String>)> = Vec::new();
    let mut planes = preset.planes.clone();
    for plane in &mut planes {
        let preset_context = plane.context.as_ref().map(|context| context.value.clone());
        let given = request
            .plane_contexts
            .iter()
            .rev()
            .find(|(name, _)| *name == plane.name.value)
            .map(|(_, context)| context.clone())
            .or_else(|| request.context.clone());
        let context = match given {
            Some(context) => Some(context),
            None => {
                let default = chosen
                    .iter()
                    .find(|(before, _)| *before == preset_context)
                    .map(|(_, context)| context.clone())
                    .unwrap_or_else(|| default_context(preset_context.as_deref(), known));
                ask_context(plane, default, known, &flag, asker)?
            }
        };
        chosen.push((preset_context, context.clone()));
        plane.context = context.map(unlocated);
    }
    Ok(planes)
}

/// The context offered first: the preset's when the kubeconfig has it (or none is readable),
/// else the kubeconfig's current one.
fn default_context(preset: Option<&str>, known: Option<&Contexts>) -> Option<String> {
    match known {
        None => preset.map(str::to_string),
        Some(contexts) => preset
            .filter(|name| contexts.names.iter().any(|known| known == name))
            .map(str::to_string)
            .or_else(|| contexts.current.clone())
            .or_else(|| contexts.names.first().cloned()),
    }
}

fn ask_context(
    plane: &PlaneSpec,
    default: Option<String>,
    known: Option<&Contexts>,
    flag: &str,
    asker: &Asker,
) -> Result<Option<String>, Error> {
    let prompt = format!(
        "Context of plane {} ({})",
        plane.name.value, plane.plane_type.value
    );
    match known.filter(|contexts| !contexts.names.is_empty()) {
        Some(contexts) => {
            let items: Vec<String> = contexts
                .names
                .iter()
                .map(|name| match &contexts.current {
                    Some(current) if current == name => format!("{name} (current)"),
                    _ => name.clone(),
                })
                .collect();
            let index = default
                .and_then(|default| contexts.names.iter().position(|name| *name == default))
                .unwrap_or(0);
            let index = asker.select(flag, &prompt, &items, index)?;
            Ok(Some(contexts.names[index].clone()))
        }
        None => {
            let text = asker.input(flag, &prompt, default.as_deref().unwrap_or(""), |_| Ok(()))?;
            Ok(Some(text.trim().to_string()).filter(|text| !text.is_empty()))
        }
    }
}
