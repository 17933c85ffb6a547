//! `choreoctl module …` and `matrix`: the catalog as users see it ([`show`]), and growing an
//! installation by a module ([`add`]).

pub mod add;
pub mod show;

pub use show::{info, list, matrix};
