//! `choreoctl module …` and `matrix`: the catalog as users see it ([`show`]), and growing an
//! installation by a module ([`add`]) and shrinking it ([`remove`]); both edit the profile
//! file (src/commands/profile_edit.rs).

pub mod add;
pub mod remove;
pub mod show;

pub use show::{info, list, matrix};
