//! `choreoctl module …` and `matrix`: the catalog as users see it ([`show`]), and growing an
//! installation by a module ([`add`]) and shrinking it ([`remove`]); both edit the profile
//! file ([`file`]).

pub mod add;
mod file;
pub mod remove;
pub mod show;

pub use show::{info, list, matrix};
