//! Arguments of the commands for the user's shell: `completion` and `man`.

use std::path::PathBuf;

use clap::Args;

/// `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Directory to write the pages into (created; pages of the same name are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
