//! The prompt machinery of the commands that ask on a terminal (`init`, and the confirmation
//! of `install`): whether there is a terminal to ask on, the theme questions are drawn with,
//! a yes-or-no question, and [`Asker`], which asks `init`'s questions or answers them from
//! their defaults without a terminal.

use std::cell::RefCell;
use std::io::IsTerminal;

use dialoguer::console::{Term, colors_enabled_stderr};
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, Input, MultiSelect, Select};

use crate::error::Error;
use crate::profile::ProfileError;

/// Whether stdin and stderr are both terminals: the only place a question can be asked.
pub fn terminals() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// The theme questions are drawn with: coloured when stderr takes colours.
fn theme() -> Box<dyn Theme> {
    if colors_enabled_stderr() {
        Box::new(ColorfulTheme::default())
    } else {
        Box::new(SimpleTheme)
    }
}

/// The error of a question the user broke off (Ctrl-C, or the terminal went away) while
/// `command` asked it.
fn interrupted(command: &str, error: dialoguer::Error) -> Error {
    Error::Other(anyhow::Error::new(error).context(format!("{command} was interrupted")))
}

/// Asks `question` (e.g. `Install?`) on the terminal, default no: whether the user said yes.
/// Esc answers no. The caller makes sure there is a terminal ([`terminals`]).
///
/// # Errors
///
/// [`Error::Other`] (exit 1) when the question is broken off; its message says `command` was
/// interrupted.
pub fn confirm(question: &str, command: &str) -> Result<bool, Error> {
    let answer = Confirm::with_theme(theme().as_ref())
        .with_prompt(question)
        .default(false)
        .interact_opt()
        .map_err(|error| interrupted(command, error))?;
    Ok(answer == Some(true))
}

/// How questions without a flag get their answer.
enum Mode {
    /// Asked on the terminal.
    Terminal(Box<dyn Theme>),
    /// `--yes`: the default.
    Defaults,
    /// No terminal and no `--yes`: recorded as missing (the default stands in until
    /// [`Asker::finish`] reports them all).
    Refuse,
}

/// Asks questions, or answers them without a terminal. Each question names the `flag` that
/// answers it instead.
pub struct Asker {
    command: &'static str,
    mode: Mode,
    missing: RefCell<Vec<String>>,
}

impl Asker {
    /// An asker for `command`; `events` (`--log-format json`): stderr is an event log, so
    /// nothing is asked there, as without a terminal.
    pub fn new(command: &'static str, yes: bool, events: bool) -> Self {
        let mode = if yes {
            Mode::Defaults
        } else if !events && terminals() {
            Mode::Terminal(theme())
        } else {
            Mode::Refuse
        };
        Self {
            command,
            mode,
            missing: RefCell::new(Vec::new()),
        }
    }

    /// Whether unanswered questions are only recorded as missing (no terminal, no `--yes`).
    pub fn refuses(&self) -> bool {
        matches!(self.mode, Mode::Refuse)
    }

    /// Columns of the terminal questions are asked on.
    pub fn width(&self) -> usize {
        usize::from(Term::stderr().size().1).clamp(40, 100)
    }

    /// Explains the next question (on a terminal only).
    pub fn say(&self, text: &str) {
        if let Mode::Terminal(_) = self.mode {
            let _ = Term::stderr().write_str(&format!("\n{text}"));
        }
    }

    /// The theme to ask with on a terminal. Otherwise `None`: the default answers, and without
    /// `--yes` the question's `flag` is recorded as missing.
    fn terminal(&self, flag: &str) -> Option<&dyn Theme> {
        match &self.mode {
            Mode::Terminal(theme) => Some(theme.as_ref()),
            Mode::Defaults => None,
            Mode::Refuse => {
                let mut missing = self.missing.borrow_mut();
                if !missing.iter().any(|known| known == flag) {
                    missing.push(flag.to_string());
                }
                None
            }
        }
    }

    /// One of `items`, `default` first.
    ///
    /// # Errors
    ///
    /// [`Error::Other`] (exit 1) when the question is broken off.
    pub fn select(
        &self,
        flag: &str,
        prompt: &str,
        items: &[String],
        default: usize,
    ) -> Result<usize, Error> {
        let Some(theme) = self.terminal(flag) else {
            return Ok(default);
        };
        Select::with_theme(theme)
            .with_prompt(prompt)
            .items(items)
            .default(default)
            .interact()
            .map_err(|error| interrupted(self.command, error))
    }

    /// A line of text that `valid` accepts (its error is shown until it does), `default`
    /// offered unless empty.
    ///
    /// # Errors
    ///
    /// [`Error::Other`] (exit 1) when the question is broken off.
    pub fn input(
        &self,
        flag: &str,
        prompt: &str,
        default: &str,
        valid: impl Fn(&str) -> Result<(), String>,
    ) -> Result<String, Error> {
        let Some(theme) = self.terminal(flag) else {
            return Ok(default.to_string());
        };
        let mut input = Input::<String>::with_theme(theme)
            .with_prompt(prompt)
            .allow_empty(true)
            .validate_with(|text: &String| valid(text));
        if !default.is_empty() {
            input = input.default(default.to_string());
        }
        input
            .interact_text()
            .map_err(|error| interrupted(self.command, error))
    }

    /// The indices of the `items` chosen, those `checked` chosen at first.
    ///
    /// # Errors
    ///
    /// [`Error::Other`] (exit 1) when the question is broken off.
    pub fn multi_select(
        &self,
        flag: &str,
        prompt: &str,
        items: &[String],
        checked: &[bool],
    ) -> Result<Vec<usize>, Error> {
        let Some(theme) = self.terminal(flag) else {
            return Ok((0..items.len()).filter(|&index| checked[index]).collect());
        };
        MultiSelect::with_theme(theme)
            .with_prompt(prompt)
            .items(items)
            .defaults(checked)
            .interact()
            .map_err(|error| interrupted(self.command, error))
    }

    /// Ends the questions.
    ///
    /// # Errors
    ///
    /// [`ProfileError::Flag`] (exit 2) naming every flag that was needed and not given, when
    /// there was no terminal to ask on and no `--yes`.
    pub fn finish(self) -> Result<(), ProfileError> {
        let missing = self.missing.into_inner();
        if missing.is_empty() {
            return Ok(());
        }
        Err(ProfileError::Flag {
            message: format!(
                "{} cannot ask without a terminal; pass {}",
                self.command,
                missing.join(", ")
            ),
            help: "or pass --yes to take the default for every answer not given".into(),
        })
    }
}
