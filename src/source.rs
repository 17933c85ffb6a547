//! Source text of user and catalog files, and errors that point into them.

use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde_saphyr::Location;

/// A YAML document read from disk or from the embedded catalog, kept for error reports.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Display name: the path as the user gave it, or `catalog:<path>` for embedded files.
    pub name: String,
    /// Full text of the file.
    pub text: Arc<str>,
}

impl SourceFile {
    /// Wraps a file's name and text.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
        }
    }

    /// An error located at `location` in this file.
    pub fn error_at(
        &self,
        location: Location,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Box<LocatedError> {
        self.error_at_line(
            location.line().max(1) as usize,
            location.column().max(1) as usize,
            message,
            help,
        )
    }

    /// An error at a 1-based line and column.
    pub fn error_at_line(
        &self,
        line: usize,
        column: usize,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Box<LocatedError> {
        let offset = self.offset_of(line, column);
        Box::new(LocatedError {
            file: self.name.clone(),
            line,
            column,
            message: message.into(),
            help,
            src: NamedSource::new(self.name.clone(), self.text.to_string()),
            span: SourceSpan::from((offset, self.token_len(offset))),
        })
    }

    /// Byte offset of a 1-based line and column (columns count characters).
    fn offset_of(&self, line: usize, column: usize) -> usize {
        let mut offset = 0;
        for (index, text) in self.text.split_inclusive('\n').enumerate() {
            if index + 1 == line {
                let within: usize = text.chars().take(column - 1).map(char::len_utf8).sum();
                return offset + within;
            }
            offset += text.len();
        }
        self.text.len()
    }

    /// Length of the token starting at `offset`, so the label underlines a word.
    fn token_len(&self, offset: usize) -> usize {
        self.text[offset..]
            .find(|c: char| c.is_whitespace() || c == ':' || c == ',' || c == '}' || c == ']')
            .unwrap_or(0)
            .max(1)
            .min(self.text.len().saturating_sub(offset))
    }
}

/// An error in a YAML file, with its position, a fix, and the source for a snippet.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{file}:{line}:{column}: {message}")]
pub struct LocatedError {
    /// File name as shown to the user.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    #[help]
    pub help: Option<String>,
    #[source_code]
    src: NamedSource<String>,
    #[label("here")]
    span: SourceSpan,
}

impl LocatedError {
    /// The same error with `mask` applied to its message, help and source text; `mask` must
    /// keep the text's length (it replaces secrets by as many `*`), so the position stays.
    pub fn masked(mut self, mask: impl Fn(&str) -> String) -> Self {
        let text = mask(self.src.inner());
        self.src = NamedSource::new(self.file.clone(), text);
        self.message = mask(&self.message);
        self.help = self.help.map(|help| mask(&help));
        self
    }
}
