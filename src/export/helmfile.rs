//! The helmfile export.
use super::File;
use crate::plan::Plan;
/// The export's files.
pub fn export(_plan: &Plan) -> anyhow::Result<Vec<File>> {
    todo!()
}
