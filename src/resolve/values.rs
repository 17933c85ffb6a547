//! Installation-wide values of the profile: release, domain and per-release value overrides.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use serde_saphyr::Spanned;

use super::{DOMAIN_HELP, ResolveError, ResolvedModule, Resolver, is_dns_name, line_of_key};
use crate::catalog::model::{Action, Release};
use crate::profile::model::Edition;
use crate::suggest::hint;

impl Resolver<'_> {
    /// The edition; the profile (or --edition) must choose one.
    pub(super) fn edition(
        &self,
        edition: Option<&Spanned<Edition>>,
    ) -> Result<Edition, ResolveError> {
        let Some(edition) = edition else {
            let help =
                "set `edition: cilium` or `edition: generic` under `spec:`, or pass --edition";
            return Err(match line_of_key(&self.source.text, "spec") {
                Some(line) => ResolveError::At(self.source.error_at_line(
                    line,
                    1,
                    "no edition chosen",
                    Some(help.into()),
                )),
                None => ResolveError::Input {
                    message: format!("{}: no edition chosen", self.source.name),
                    help: help.into(),
                },
            });
        };
        Ok(edition.value)
    }

    /// The base domain; it must be a DNS name.
    pub(super) fn domain(&self, domain: &Spanned<String>) -> Result<String, ResolveError> {
        let value = &domain.value;
        if is_dns_name(value) {
            Ok(value.clone())
        } else {
            self.fail(
                domain.referenced,
                format!("domain `{value}` is not a DNS name"),
                DOMAIN_HELP.into(),
            )
        }
    }

    /// Overrides must name a release the plan installs; a typo would be silently ignored.
    pub(super) fn check_value_overrides(
        &self,
        values: &BTreeMap<String, Spanned<Value>>,
        modules: &[ResolvedModule],
    ) -> Result<(), ResolveError> {
        let releases: BTreeSet<&str> = modules
            .iter()
            .flat_map(|module| &self.catalog.modules[&module.name].steps)
            .filter_map(|step| match &step.action {
                Action::Helm(helm) => Some(helm.release.as_str()),
                _ => None,
            })
            .collect();
        for (release, value) in values {
            if releases.contains(release.as_str()) {
                continue;
            }
            let hint = hint(release, releases.iter().copied());
            let line = line_of_key(&self.source.text, release);
            let message = format!(
                "`values` overrides release `{release}`, which this installation does not have"
            );
            let help = format!(
                "{hint}releases: {}",
                releases.iter().copied().collect::<Vec<_>>().join(", ")
            );
            return match line {
                Some(line) => Err(ResolveError::At(self.source.error_at_line(
                    line,
                    1,
                    message,
                    Some(help),
                ))),
                None => self.fail(value.referenced, message, help),
            };
        }
        Ok(())
    }

    /// `spec.adopt`: each entry must name a chart of the release that someone else's install
    /// of could be used (the catalog pins it with `compatible`).
    pub(super) fn adopted(
        &self,
        adopt: &[Spanned<String>],
        release: &Release,
    ) -> Result<BTreeSet<String>, ResolveError> {
        let known: Vec<&str> = release
            .charts
            .iter()
            .filter(|(_, pin)| pin.compatible.is_some())
            .map(|(key, _)| key.as_str())
            .collect();
        let mut adopted = BTreeSet::new();
        for entry in adopt {
            if !known.contains(&entry.value.as_str()) {
                return self.fail(
                    entry.referenced,
                    format!(
                        "`adopt` names `{}`, which is not a prerequisite choreoctl can find \
                         installed by someone else",
                        entry.value
                    ),
                    format!(
                        "{}the prerequisites of OpenChoreo {} it can adopt: {}",
                        hint(&entry.value, known.iter().copied()),
                        release.version,
                        known.join(", ")
                    ),
                );
            }
            adopted.insert(entry.value.clone());
        }
        Ok(adopted)
    }

    /// The catalog release the profile pins, else the newest one.
    pub(super) fn release(
        &self,
        version: Option<&Spanned<String>>,
    ) -> Result<Release, ResolveError> {
        let Some(version) = version else {
            return Ok(self.catalog.newest_release().clone());
        };
        match self.catalog.release(&version.value) {
            Some(release) => Ok(release.clone()),
            None => self.fail(
                version.referenced,
                format!(
                    "OpenChoreo release `{}` is not in the catalog",
                    version.value
                ),
                format!(
                    "use one of: {}",
                    self.catalog
                        .releases
                        .values()
                        .map(|release| release.version.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
}
