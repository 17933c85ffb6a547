//! `choreoctl plane …`: growing an installation by a plane ([`add`]) and shrinking it
//! ([`remove`]), both editing the profile file (src/commands/profile_edit.rs); and keeping the
//! planes' CAs in step with the live ones ([`sync_ca`]).

pub mod add;
pub mod remove;
pub mod sync_ca;

use std::path::Path;

use crate::error::Error;
use crate::profile::model::{PlaneSpec, Profile};
use crate::suggest::hint;

/// The plane `name` of `profile`, or a usage error naming the planes there.
fn listed<'a>(profile: &'a Profile, name: &str, path: &Path) -> Result<&'a PlaneSpec, Error> {
    let planes = &profile.spec.planes;
    if let Some(plane) = planes.iter().find(|plane| plane.name.value == name) {
        return Ok(plane);
    }
    let names: Vec<&str> = planes
        .iter()
        .map(|plane| plane.name.value.as_str())
        .collect();
    Err(Error::Usage {
        message: format!("plane `{name}` is not in {}", path.display()),
        help: format!(
            "{}the planes are {}",
            hint(name, names.iter().copied()),
            names.join(", ")
        ),
    })
}
