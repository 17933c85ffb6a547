//! Command-line arguments resolved into the core's inputs.

use crate::cli::{EditionArg, GlobalArgs, InitArgs, ProfileArgs, ProfileFileArgs};
use crate::commands::init::{Destination, InitRequest};
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
            fragments,
            set,
        } = args;
        ProfileRequest {
            file: profile.clone(),
            preset: preset.clone(),
            edition: edition.map(Edition::from),
            context: context.clone(),
            plane_contexts: plane_context.clone(),
            fragments: fragments.clone(),
            sets: set.clone(),
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

impl From<&InitArgs> for InitRequest {
    fn from(args: &InitArgs) -> Self {
        InitRequest {
            edition: args.edition.map(Edition::from),
            topology: args.preset.clone(),
            context: args.context.clone(),
            plane_contexts: args.plane_context.clone(),
            domain: args.domain.clone(),
            modules: (args.no_modules || !args.module.is_empty()).then(|| args.module.clone()),
            name: args.name.clone(),
            schema: args.schema.clone(),
            out: if args.out.as_os_str() == "-" {
                Destination::Stdout
            } else {
                Destination::File(args.out.clone())
            },
            force: args.force,
            yes: args.yes,
        }
    }
}
