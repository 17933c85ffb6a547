//! Command-line arguments resolved into the core's inputs.

use crate::cli::{EditionArg, GlobalArgs, ProfileArgs, ProfileFileArgs};
use crate::output::Verbosity;
use crate::profile::ProfileRequest;
use crate::profile::model::Edition;

impl From<EditionArg> for Edition {
    fn from(edition: EditionArg) -> Self {
        match edition {
            EditionArg::Cilium => Edition::Cilium,
            EditionArg::Generic => Edition::Generic,
        }
    }
}

impl From<&GlobalArgs> for Verbosity {
    fn from(args: &GlobalArgs) -> Self {
        match (args.quiet, args.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        }
    }
}

impl From<&ProfileArgs> for ProfileRequest {
    fn from(args: &ProfileArgs) -> Self {
        let ProfileArgs {
            profile,
            preset,
            edition,
            context,
            plane_context,
        } = args;
        ProfileRequest {
            file: profile.clone(),
            preset: preset.clone(),
            edition: edition.map(Edition::from),
            context: context.clone(),
            plane_contexts: plane_context.clone(),
        }
    }
}

impl From<&ProfileFileArgs> for ProfileRequest {
    fn from(args: &ProfileFileArgs) -> Self {
        let mut request = ProfileRequest::from(&args.profile);
        if args.file.is_some() {
            request.file = args.file.clone();
        }
        request
    }
}
