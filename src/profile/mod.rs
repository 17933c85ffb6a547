//! Profiles: the format (docs/profiles.md), strict loading, presets and command-line overrides.

pub mod edit;
mod error;
pub mod load;
pub mod mirror;
pub mod model;
pub mod overrides;
pub mod schema;

pub use error::ProfileError;

use std::path::PathBuf;

use serde_saphyr::{Location, Spanned};

use crate::catalog::Catalog;
use crate::source::SourceFile;
use crate::suggest::hint;
use model::{Edition, Profile};

/// Preset used when neither a profile nor a preset is given.
pub const DEFAULT_PRESET: &str = "single-plane";

/// Where the profile comes from and what the command line changes in it.
#[derive(Debug, Clone, Default)]
pub struct ProfileRequest {
    /// A profile file.
    pub file: Option<PathBuf>,
    /// A preset name from `profiles/`.
    pub preset: Option<String>,
    /// Overrides `spec.edition`.
    pub edition: Option<Edition>,
    /// Binds every plane to this context.
    pub context: Option<String>,
    /// Binds one plane each: `(plane, context)`.
    pub plane_contexts: Vec<(String, String)>,
    /// `-f FILE`: profile fragments merged over the profile, in order.
    pub fragments: Vec<PathBuf>,
    /// `--set PATH=VALUE`, in order (unparsed: parsed by [`ProfileRequest::load`]).
    pub sets: Vec<String>,
}

/// A profile together with the file it was read from.
#[derive(Debug, Clone)]
pub struct LoadedProfile {
    /// The parsed profile, overrides applied.
    pub profile: Profile,
    /// Its source, for located errors.
    pub source: SourceFile,
}

impl ProfileRequest {
    /// Reads the profile or preset and applies the overrides.
    pub fn load(&self, catalog: &Catalog) -> Result<LoadedProfile, ProfileError> {
        self.load_from(self.source(catalog)?)
    }

    /// Parses `source` in place of the request's file or preset (the text a command is about
    /// to write, as `module add` does) and applies the overrides.
    pub fn load_from(&self, source: SourceFile) -> Result<LoadedProfile, ProfileError> {
        let (mut profile, source) = if self.fragments.is_empty() && self.sets.is_empty() {
            (load::parse(&source)?, source)
        } else {
            self.parse_with_overrides(&source)?
        };
        if let Some(edition) = self.edition {
            profile.spec.edition = Some(unlocated(edition));
        }
        if let Some(context) = &self.context {
            for plane in &mut profile.spec.planes {
                plane.context = Some(unlocated(context.clone()));
            }
        }
        for (name, context) in &self.plane_contexts {
            let names: Vec<String> = profile
                .spec
                .planes
                .iter()
                .map(|plane| plane.name.value.clone())
                .collect();
            let Some(plane) = profile
                .spec
                .planes
                .iter_mut()
                .find(|plane| plane.name.value == *name)
            else {
                let hint = hint(name, names.iter().map(String::as_str));
                return Err(ProfileError::Flag {
                    message: format!("--plane-context names unknown plane `{name}`"),
                    help: format!("{hint}the profile's planes are: {}", names.join(", ")),
                });
            };
            plane.context = Some(unlocated(context.clone()));
        }
        Ok(LoadedProfile { profile, source })
    }

    /// Applies `-f` and `--set` to the profile's document, then parses the result like a file.
    /// Returns the profile and the source its locations refer to, with secret `--set` values
    /// masked (errors show it; the values never appear).
    fn parse_with_overrides(
        &self,
        source: &SourceFile,
    ) -> Result<(Profile, SourceFile), ProfileError> {
        let flag = |message: String, help: &str| ProfileError::Flag {
            message,
            help: help.to_owned(),
        };
        let mut document: serde_json::Value =
            serde_saphyr::from_str(&source.text).map_err(|_| {
                load::parse(source).err().map_or_else(
                    || {
                        flag(
                            format!("{} is not YAML", source.name),
                            "fix the profile first",
                        )
                    },
                    ProfileError::from,
                )
            })?;
        for path in &self.fragments {
            let text = std::fs::read_to_string(path).map_err(|error| ProfileError::Read {
                path: path.display().to_string(),
                error,
            })?;
            let fragment: serde_json::Value = serde_saphyr::from_str(&text).map_err(|error| {
                flag(
                    format!("-f {}: not YAML: {error}", path.display()),
                    "a fragment is part of a profile, e.g. `spec: {domain: example.com}`",
                )
            })?;
            if !fragment.is_object() {
                return Err(flag(
                    format!("-f {}: not a map of profile keys", path.display()),
                    "a fragment is part of a profile, e.g. `spec: {domain: example.com}`",
                ));
            }
            overrides::merge(&mut document, fragment);
        }
        let mut sets = Vec::new();
        for text in &self.sets {
            let path = text.split_once('=').map_or(text.as_str(), |(path, _)| path);
            let set = overrides::SetValue::parse(text).map_err(|reason| {
                flag(
                    format!("--set {path}: {reason}"),
                    "e.g. --set spec.domain=example.com or --set spec.values.thunder.replicas=2",
                )
            })?;
            set.apply(&mut document).map_err(|reason| {
                flag(
                    format!("--set {path}: {reason}"),
                    "see `choreoctl profile schema` for the keys of a profile",
                )
            })?;
            sets.push(set);
        }
        let text = crate::output::to_yaml(&document)
            .map_err(|error| flag(format!("{error:#}"), "report this as a bug"))?;
        let mut names = vec![source.name.clone()];
        names.extend(
            self.fragments
                .iter()
                .map(|path| format!("-f {}", path.display())),
        );
        names.extend(
            sets.iter()
                .map(|set| format!("--set {}", set.path.join("."))),
        );
        let merged = SourceFile::new(names.join(" "), text.as_str());
        let shown = SourceFile::new(merged.name.clone(), overrides::mask_secrets(&text, &sets));
        let profile = load::parse(&merged)
            .map_err(|error| Box::new(error.masked(|text| overrides::mask_secrets(text, &sets))))?;
        Ok((profile, shown))
    }

    fn source(&self, catalog: &Catalog) -> Result<SourceFile, ProfileError> {
        match (&self.file, &self.preset) {
            (Some(_), Some(_)) => Err(ProfileError::Flag {
                message: "a profile file and --preset both given".into(),
                help: "use one: a preset is a ready-made profile".into(),
            }),
            (Some(path), None) => {
                let text = std::fs::read_to_string(path).map_err(|error| ProfileError::Read {
                    path: path.display().to_string(),
                    error,
                })?;
                Ok(SourceFile::new(path.display().to_string(), text))
            }
            (None, preset) => {
                if preset.is_none() && self.edition.is_none() {
                    return Err(ProfileError::Flag {
                        message: "no profile given".into(),
                        help: format!(
                            "pass --profile FILE, --preset NAME, or --edition cilium|generic for the `{DEFAULT_PRESET}` preset on the current context"
                        ),
                    });
                }
                let name = preset.as_deref().unwrap_or(DEFAULT_PRESET);
                catalog.presets.get(name).cloned().ok_or_else(|| {
                    let names: Vec<&str> = catalog.presets.keys().map(String::as_str).collect();
                    let hint = hint(name, names.iter().copied());
                    ProfileError::Flag {
                        message: format!("unknown preset `{name}`"),
                        help: format!("{hint}presets: {}", names.join(", ")),
                    }
                })
            }
        }
    }
}

/// A value that came from the command line, not from a file.
fn unlocated<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Location::UNKNOWN, Location::UNKNOWN)
}
