//! How `init` lays its explanations out on the terminal: the module matrix, and lines wrapped
//! to its width.

use dialoguer::console::style;

use crate::init::choices::ModuleChoice;
use crate::profile::model::Edition;

/// The edition matrix for the chosen edition and topology; modules that cannot be chosen are
/// greyed out with the reason.
pub(super) fn matrix(choices: &[ModuleChoice], edition: Edition, width: usize) -> String {
    let mut text = wrap(
        &format!("Modules on the {edition} edition (the Secure Core is always installed):"),
        width,
    );
    for choice in choices {
        let line = format!(
            "  {:<12} stage {}  {:<11} {}",
            choice.module.name,
            choice.module.stage,
            choice.support.level.as_str(),
            choice.module.title
        );
        match &choice.unavailable {
            None => text.push_str(&wrap(&line, width)),
            Some(reason) => {
                for line in wrap(&format!("{line}: not available, {reason}"), width).lines() {
                    text.push_str(&format!("{}\n", style(line).dim()));
                }
            }
        }
    }
    text
}

/// Wraps each line of `text` that is wider than `width` columns at spaces; the rest of a line
/// goes on under its own indentation plus two spaces. Lines that fit keep their spacing.
pub(super) fn wrap(text: &str, width: usize) -> String {
    let mut wrapped = String::new();
    for line in text.lines() {
        let hanging = " ".repeat(line.len() - line.trim_start().len() + 2);
        let mut prefix = "";
        let mut rest = line;
        while prefix.len() + rest.chars().count() > width {
            let room = width.saturating_sub(prefix.len());
            let end = rest
                .char_indices()
                .nth(room)
                .map_or(rest.len(), |(at, _)| at);
            let Some(cut) = rest[..end]
                .rfind(' ')
                .filter(|&cut| !rest[..cut].trim().is_empty())
            else {
                break;
            };
            wrapped.push_str(prefix);
            wrapped.push_str(rest[..cut].trim_end());
            wrapped.push('\n');
            rest = rest[cut..].trim_start();
            prefix = &hanging;
        }
        wrapped.push_str(prefix);
        wrapped.push_str(rest);
        wrapped.push('\n');
    }
    wrapped
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn long_lines_wrap_under_their_indentation_and_short_ones_keep_their_spacing() {
        assert_eq!(
            wrap("  cd    stage 2\n  one two three four five", 16),
            "  cd    stage 2\n  one two three\n    four five\n"
        );
    }
}
