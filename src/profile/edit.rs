//! Editing a profile file in place, as `cargo add` edits Cargo.toml: one entry of
//! `spec.modules` or `spec.planes` added or removed, every other byte of the file (comments,
//! key order, quoting, flow or block style, blank lines) kept. The profile format is shallow
//! and fixed (src/profile/model.rs), so the editor works on lines: it finds `spec:`, the list's
//! key and the entries' lines by indentation, and writes a new entry in the style of the
//! entries around it. Every edit is checked by parsing the result: the caller compares the list
//! it reads with the one it asked for, so an edit the line rules got wrong is refused, never
//! written.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::platform::PlaneType;

/// A module entry to add: what `module add NAME [--plane P | --planes a,b] [--option k=v]`
/// asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModuleEntry {
    /// The module's catalog name.
    pub name: String,
    /// `--plane`.
    pub plane: Option<String>,
    /// `--planes`.
    pub planes: Option<Vec<String>>,
    /// `--option key=value`, each value as YAML reads it.
    pub options: BTreeMap<String, Value>,
}

impl ModuleEntry {
    /// The entry's fields as YAML flow text, `name` first.
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![("name", scalar(&self.name))];
        if let Some(plane) = &self.plane {
            fields.push(("plane", scalar(plane)));
        }
        if let Some(planes) = &self.planes {
            fields.push(("planes", flow_list(planes)));
        }
        if !self.options.is_empty() {
            fields.push(("options", flow_options(&self.options)));
        }
        fields
    }
}

/// A plane entry to add: what `plane add NAME --type T --context C [--kubeconfig F]
/// [--serves a,b]` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaneEntry {
    /// The plane's name.
    pub name: String,
    /// Its type.
    pub plane_type: PlaneType,
    /// Its kubeconfig context.
    pub context: String,
    /// Its kubeconfig file, when not the default.
    pub kubeconfig: Option<String>,
    /// For an observability plane: the planes it serves.
    pub serves: Option<Vec<String>>,
}

impl PlaneEntry {
    /// The entry's fields as YAML flow text, `name` first.
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("name", scalar(&self.name)),
            ("type", self.plane_type.to_string()),
            ("context", scalar(&self.context)),
        ];
        if let Some(kubeconfig) = &self.kubeconfig {
            fields.push(("kubeconfig", scalar(kubeconfig)));
        }
        if let Some(serves) = &self.serves {
            fields.push(("serves", flow_list(serves)));
        }
        fields
    }
}

/// Why a profile file could not be edited by the line rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The file has no top-level `spec:` mapping written in block style.
    #[error("no top-level `spec:` block to edit")]
    NoSpec,
    /// The list is written in a way the editor does not change (a flow list over several
    /// lines, an anchor or alias).
    #[error("`spec.{key}` on line {line} is written in a form choreoctl does not edit")]
    Unsupported {
        /// `modules` or `planes`.
        key: &'static str,
        /// 1-based line of the key.
        line: usize,
    },
    /// The entry to remove is not listed.
    #[error("`{name}` is not listed in `spec.{key}`")]
    NotListed {
        /// `modules` or `planes`.
        key: &'static str,
        /// The entry's name.
        name: String,
    },
}

/// The lines of `text`, each with its line break.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// Leading spaces of a line.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Whether a line holds YAML content (not blank, not only a comment).
fn is_content(line: &str) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// The value after `key:` on `line` when the line is that key at `at` spaces, comments
/// stripped: `Some("")` for a block that follows on the next lines.
fn key_value<'a>(line: &'a str, key: &str, at: usize) -> Option<&'a str> {
    if indent(line) != at {
        return None;
    }
    let rest = line.trim_start().strip_prefix(key)?.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\n', '\r', '\t'])) {
        return None;
    }
    Some(strip_comment(rest).trim())
}

/// `text` up to a `#` that starts a comment (preceded by a space, outside quotes).
fn strip_comment(text: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (index, character) in text.char_indices() {
        match (quote, character) {
            (None, '"' | '\'') => quote = Some(character),
            (Some(open), _) if character == open => quote = None,
            (None, '#') if previous.is_whitespace() => return &text[..index],
            _ => {}
        }
        previous = character;
    }
    text
}

/// Where a list of `spec` is in a file.
struct ListBlock {
    /// Index of the key's line, or `None` when the key is absent.
    key: Option<usize>,
    /// Spaces before the keys of `spec`.
    spec_indent: usize,
    /// Index of the last content line of `spec` (where an absent key is appended).
    spec_end: usize,
}

fn find_list(lines: &[&str], key_name: &str) -> Result<ListBlock, EditError> {
    let spec = lines
        .iter()
        .position(|line| key_value(line, "spec", 0) == Some(""))
        .ok_or(EditError::NoSpec)?;
    let mut spec_indent = None;
    let mut spec_end = spec;
    let mut key = None;
    for (index, line) in lines.iter().enumerate().skip(spec + 1) {
        if !is_content(line) {
            continue;
        }
        if indent(line) == 0 {
            break;
        }
        let at = *spec_indent.get_or_insert(indent(line));
        spec_end = index;
        if key.is_none() && key_value(line, key_name, at).is_some() {
            key = Some(index);
        }
    }
    Ok(ListBlock {
        key,
        spec_indent: spec_indent.ok_or(EditError::NoSpec)?,
        spec_end,
    })
}

/// The entries of a block list whose key is on line `key` (indented `at`): for each, the
/// index of its `- ` line and one past its last content line.
fn block_items(lines: &[&str], key: usize, at: usize) -> Vec<(usize, usize)> {
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut item_indent = None;
    for (index, line) in lines.iter().enumerate().skip(key + 1) {
        if !is_content(line) {
            continue;
        }
        let here = indent(line);
        let is_item = line.trim_start().starts_with("- ") || line.trim() == "-";
        if here < at || (here == at && !is_item) {
            break;
        }
        if is_item && item_indent.is_none_or(|column| column == here) {
            item_indent = Some(here);
            items.push((index, index + 1));
        } else if let Some(last) = items.last_mut() {
            last.1 = index + 1;
        } else {
            break;
        }
    }
    items
}

/// A string as a YAML scalar: plain when YAML reads it back as that string, else
/// double-quoted (JSON's quoting is YAML's).
fn scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && text.starts_with(|c: char| c.is_ascii_alphabetic())
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain {
        text.to_owned()
    } else {
        Value::from(text).to_string()
    }
}

/// Names as a flow list: `[eu, us]`.
fn flow_list(names: &[String]) -> String {
    let names: Vec<String> = names.iter().map(|name| scalar(name)).collect();
    format!("[{}]", names.join(", "))
}

fn flow_options(options: &BTreeMap<String, Value>) -> String {
    let pairs: Vec<String> = options
        .iter()
        .map(|(key, value)| format!("{key}: {value}"))
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

/// An entry as one flow mapping: `{name: observe, plane: obs, options: {retentionDays: 14}}`.
fn flow_entry(fields: &[(&str, String)]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("{key}: {value}"))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

/// An entry as a block list item whose `- ` is at `at` spaces.
fn block_entry(fields: &[(&str, String)], at: usize, newline: &str) -> String {
    let mut text = String::new();
    for (index, (key, value)) in fields.iter().enumerate() {
        let lead = if index == 0 {
            format!("{}- ", " ".repeat(at))
        } else {
            " ".repeat(at + 2)
        };
        let _ = write!(text, "{lead}{key}: {value}{newline}");
    }
    text
}

/// The line break the file uses.
fn newline(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// `line` with its line break, adding one when it is the file's last line and has none.
fn terminated(line: &str, newline: &str) -> String {
    if line.ends_with('\n') {
        line.to_owned()
    } else {
        format!("{line}{newline}")
    }
}

/// `text` with `entry` appended to `spec.modules` (see [`add_entry`]).
///
/// # Errors
///
/// As [`add_entry`].
pub fn add_module(text: &str, entry: &ModuleEntry) -> Result<String, EditError> {
    add_entry(text, "modules", &entry.fields())
}

/// `text` with `entry` appended to `spec.planes` (see [`add_entry`]).
///
/// # Errors
///
/// As [`add_entry`].
pub fn add_plane(text: &str, entry: &PlaneEntry) -> Result<String, EditError> {
    add_entry(text, "planes", &entry.fields())
}

/// `text` without the `spec.modules` entry naming `name` (see [`remove_entry`]).
///
/// # Errors
///
/// As [`remove_entry`].
pub fn remove_module(text: &str, name: &str) -> Result<String, EditError> {
    remove_entry(text, "modules", name)
}

/// `text` without the `spec.planes` entry naming `name` (see [`remove_entry`]).
///
/// # Errors
///
/// As [`remove_entry`].
pub fn remove_plane(text: &str, name: &str) -> Result<String, EditError> {
    remove_entry(text, "planes", name)
}

/// `text` with an entry of `fields` appended to the list `spec.<key>`: after the last entry,
/// in the style of the entries there (flow `- {name: cd}` or block `- name: cd`), or as a new
/// key at the end of `spec` when there is none.
///
/// # Errors
///
/// [`EditError`] when the file has no block `spec:` or writes the list in a form the editor
/// does not change.
fn add_entry(
    text: &str,
    key_name: &'static str,
    fields: &[(&str, String)],
) -> Result<String, EditError> {
    let lines = lines(text);
    let newline = newline(text);
    let block = find_list(&lines, key_name)?;
    let at = block.spec_indent;
    let Some(key) = block.key else {
        let mut out: String = lines[..=block.spec_end]
            .iter()
            .map(|line| terminated(line, newline))
            .collect();
        out.push_str(&format!("{}{key_name}:{newline}", " ".repeat(at)));
        out.push_str(&block_entry(fields, at + 2, newline));
        out.extend(lines[block.spec_end + 1..].iter().copied());
        return Ok(out);
    };
    let unsupported = EditError::Unsupported {
        key: key_name,
        line: key + 1,
    };
    let value = key_value(lines[key], key_name, at).unwrap_or_default();
    if value.starts_with('[') {
        if !value.ends_with(']') {
            return Err(unsupported);
        }
        let line = lines[key];
        let close = line.rfind(']').ok_or(unsupported)?;
        let inside = line[line.find('[').unwrap_or(close) + 1..close].trim();
        let separator = if inside.is_empty() { "" } else { ", " };
        let edited = format!(
            "{}{separator}{}{}",
            line[..close].trim_end_matches(' '),
            flow_entry(fields),
            &line[close..]
        );
        let mut out: String = lines[..key].concat();
        out.push_str(&edited);
        out.push_str(&lines[key + 1..].concat());
        return Ok(out);
    }
    if !value.is_empty() {
        return Err(unsupported);
    }
    let items = block_items(&lines, key, at);
    let (insert_at, item) = match items.last() {
        Some(&(start, end)) => {
            let item_indent = indent(lines[start]);
            let flow = lines[start].trim_start()[2..].trim_start().starts_with('{');
            let item = if flow {
                format!(
                    "{}- {}{newline}",
                    " ".repeat(item_indent),
                    flow_entry(fields)
                )
            } else {
                block_entry(fields, item_indent, newline)
            };
            (end, item)
        }
        None => (key + 1, block_entry(fields, at + 2, newline)),
    };
    let mut out: String = lines[..insert_at]
        .iter()
        .map(|line| terminated(line, newline))
        .collect();
    out.push_str(&item);
    out.push_str(&lines[insert_at..].concat());
    Ok(out)
}

/// The name a list item (its lines) names: `- name: X`, `- {name: X, ...}`, or `name: X` on
/// a later line of the item.
fn item_name(item: &[&str]) -> Option<String> {
    let first = item.first()?.trim_start().strip_prefix('-')?.trim_start();
    let unquote = |value: &str| value.trim().trim_matches(['"', '\'']).to_owned();
    if let Some(flow) = first.strip_prefix('{') {
        let flow = strip_comment(flow);
        let body = flow.trim_end().strip_suffix('}')?;
        return body.split(',').find_map(|field| {
            let (key, value) = field.split_once(':')?;
            (key.trim() == "name").then(|| unquote(value))
        });
    }
    std::iter::once(first)
        .chain(item[1..].iter().map(|line| line.trim_start()))
        .find_map(|line| {
            let value = line.strip_prefix("name:")?;
            Some(unquote(strip_comment(value)))
        })
}

/// `text` without the entry of `spec.<key>` naming `name`; a block list left empty becomes
/// `key: []`.
///
/// # Errors
///
/// [`EditError::NotListed`] when no entry names it; [`EditError`] otherwise as for
/// [`add_entry`].
fn remove_entry(text: &str, key_name: &'static str, name: &str) -> Result<String, EditError> {
    let lines = lines(text);
    let block = find_list(&lines, key_name)?;
    let at = block.spec_indent;
    let not_listed = || EditError::NotListed {
        key: key_name,
        name: name.to_owned(),
    };
    let key = block.key.ok_or_else(not_listed)?;
    let value = key_value(lines[key], key_name, at).unwrap_or_default();
    if value.starts_with('[') {
        return remove_from_flow(&lines, key_name, key, name);
    }
    if !value.is_empty() {
        return Err(EditError::Unsupported {
            key: key_name,
            line: key + 1,
        });
    }
    let items = block_items(&lines, key, at);
    let position = items
        .iter()
        .position(|&(start, end)| item_name(&lines[start..end]).as_deref() == Some(name))
        .ok_or_else(not_listed)?;
    let (start, end) = items[position];
    let mut out = String::new();
    if items.len() == 1 {
        out.push_str(&lines[..key].concat());
        let line = lines[key];
        let colon = line.find(':').unwrap_or(line.len());
        out.push_str(&format!("{}: []{}", &line[..colon], &line[colon + 1..]));
        out.push_str(&lines[key + 1..start].concat());
    } else {
        out.push_str(&lines[..start].concat());
    }
    out.push_str(&lines[end..].concat());
    Ok(out)
}

/// Removes the element naming `name` from a one-line flow list `key: [...]`.
fn remove_from_flow(
    lines: &[&str],
    key_name: &'static str,
    key: usize,
    name: &str,
) -> Result<String, EditError> {
    let line = lines[key];
    let unsupported = EditError::Unsupported {
        key: key_name,
        line: key + 1,
    };
    let (Some(open), Some(close)) = (line.find('['), line.rfind(']')) else {
        return Err(unsupported);
    };
    let mut elements = Vec::new();
    let (mut depth, mut from) = (0usize, open + 1);
    for (index, character) in line[open + 1..close].char_indices() {
        let index = index + open + 1;
        match character {
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                elements.push(&line[from..index]);
                from = index + 1;
            }
            _ => {}
        }
    }
    elements.push(&line[from..close]);
    let kept: Vec<&str> = elements
        .iter()
        .copied()
        .filter(|element| {
            let element = element.trim();
            !(element == name || item_name(&[&format!("- {element}")]).as_deref() == Some(name))
        })
        .collect();
    if kept.len() == elements.len() {
        return Err(EditError::NotListed {
            key: key_name,
            name: name.to_owned(),
        });
    }
    let inside: Vec<&str> = kept.iter().map(|element| element.trim()).collect();
    let mut out: String = lines[..key].concat();
    out.push_str(&format!(
        "{}[{}]{}",
        &line[..open],
        inside.join(", "),
        &line[close + 1..]
    ));
    out.push_str(&lines[key + 1..].concat());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> ModuleEntry {
        ModuleEntry {
            name: name.into(),
            ..ModuleEntry::default()
        }
    }

    const BLOCK: &str = "\
# the lab
apiVersion: choreoctl.openchoreo.dev/v1alpha1
kind: Profile
metadata: {name: lab}   # flow here
spec:
  edition: generic
  planes:
    - {name: control, type: control, context: cp}

    - name: obs # observability
      type: observability
      context: \"obs\"
  modules:
    # delivery first
    - name: cd
      options: {}

  values:
    thunder: {replicas: 1}
";

    #[test]
    fn a_block_entry_goes_after_the_last_one_and_nothing_else_moves() {
        let mut observe = entry("observe");
        observe.plane = Some("obs".into());
        observe
            .options
            .insert("retentionDays".into(), Value::from(14));
        let edited = add_module(BLOCK, &observe).unwrap();
        let expected = BLOCK.replace(
            "      options: {}\n",
            "      options: {}\n    - name: observe\n      plane: obs\n      options: {retentionDays: 14}\n",
        );
        assert_eq!(edited, expected);
    }

    #[test]
    fn removing_takes_the_entry_lines_only_and_an_empty_list_stays_a_list() {
        let edited = remove_module(BLOCK, "cd").unwrap();
        assert_eq!(
            edited,
            BLOCK.replace(
                "  modules:\n    # delivery first\n    - name: cd\n      options: {}\n",
                "  modules: []\n    # delivery first\n"
            )
        );
        let added = add_module(BLOCK, &entry("build")).unwrap();
        assert_eq!(remove_module(&added, "build").unwrap(), BLOCK);
        assert_eq!(
            remove_module(BLOCK, "guard"),
            Err(EditError::NotListed {
                key: "modules",
                name: "guard".into()
            })
        );
    }

    #[test]
    fn flow_items_and_flow_lists_keep_their_style() {
        let flow_items = "spec:\n  modules:\n  - {name: cd}\n  - {name: build}  # ci\nother: 1\n";
        assert_eq!(
            add_module(flow_items, &entry("observe")).unwrap(),
            "spec:\n  modules:\n  - {name: cd}\n  - {name: build}  # ci\n  - {name: observe}\nother: 1\n"
        );
        assert_eq!(
            remove_module(flow_items, "cd").unwrap(),
            "spec:\n  modules:\n  - {name: build}  # ci\nother: 1\n"
        );
        let flow_list = "spec:\n  modules: [{name: cd}, {name: \"build\"}]   # two\n";
        assert_eq!(
            add_module(flow_list, &entry("observe")).unwrap(),
            "spec:\n  modules: [{name: cd}, {name: \"build\"}, {name: observe}]   # two\n"
        );
        assert_eq!(
            remove_module(flow_list, "build").unwrap(),
            "spec:\n  modules: [{name: cd}]   # two\n"
        );
        assert_eq!(
            add_module("spec:\n  modules: []\n", &entry("cd")).unwrap(),
            "spec:\n  modules: [{name: cd}]\n"
        );
    }

    #[test]
    fn a_missing_modules_key_is_added_at_the_end_of_spec() {
        let text = "spec:\n    edition: generic\n    planes: []\n\n# trailing\n";
        let mut cd = entry("cd");
        cd.planes = Some(vec!["eu".into(), "us".into()]);
        assert_eq!(
            add_module(text, &cd).unwrap(),
            "spec:\n    edition: generic\n    planes: []\n    modules:\n      - name: cd\n        planes: [eu, us]\n\n# trailing\n"
        );
        assert_eq!(
            add_module("spec:\n  edition: generic", &entry("cd")).unwrap(),
            "spec:\n  edition: generic\n  modules:\n    - name: cd\n"
        );
    }

    #[test]
    fn crlf_files_stay_crlf_and_unsupported_forms_are_refused() {
        let text = "spec:\r\n  modules:\r\n    - name: cd\r\n";
        assert_eq!(
            add_module(text, &entry("build")).unwrap(),
            "spec:\r\n  modules:\r\n    - name: cd\r\n    - name: build\r\n"
        );
        assert_eq!(
            add_module("spec:\n  modules: [\n    {name: cd}]\n", &entry("x")),
            Err(EditError::Unsupported {
                key: "modules",
                line: 2
            })
        );
        assert_eq!(
            add_module("spec:\n  modules: *shared\n", &entry("x")),
            Err(EditError::Unsupported {
                key: "modules",
                line: 2
            })
        );
        assert_eq!(
            add_module("spec: {modules: []}\n", &entry("x")),
            Err(EditError::NoSpec)
        );
    }

    fn plane(name: &str, context: &str) -> PlaneEntry {
        PlaneEntry {
            name: name.into(),
            plane_type: PlaneType::Data,
            context: context.into(),
            kubeconfig: None,
            serves: None,
        }
    }

    #[test]
    fn a_plane_goes_after_the_last_one_in_its_style_and_comes_out_again() {
        let edited = add_plane(BLOCK, &plane("prod", "kind-prod")).unwrap();
        let expected = BLOCK.replace(
            "      context: \"obs\"\n",
            "      context: \"obs\"\n    - name: prod\n      type: data\n      context: kind-prod\n",
        );
        assert_eq!(edited, expected);
        assert_eq!(remove_plane(&edited, "prod").unwrap(), BLOCK);
        let flow = "spec:\n  planes:\n    - {name: control, type: control}\n  modules: []\n";
        let mut obs = plane("obs", "arn:aws:eks:eu-west-1:1:cluster/obs");
        obs.plane_type = PlaneType::Observability;
        obs.serves = Some(vec!["dev".into()]);
        let edited = add_plane(flow, &obs).unwrap();
        assert_eq!(
            edited,
            "spec:\n  planes:\n    - {name: control, type: control}\n    - {name: obs, type: \
             observability, context: \"arn:aws:eks:eu-west-1:1:cluster/obs\", serves: [dev]}\n  \
             modules: []\n"
        );
        let parsed: Value = serde_saphyr::from_str(&edited).unwrap();
        assert_eq!(
            parsed["spec"]["planes"][1]["context"],
            "arn:aws:eks:eu-west-1:1:cluster/obs"
        );
        assert_eq!(remove_plane(&edited, "obs").unwrap(), flow);
        assert_eq!(
            remove_plane(flow, "prod"),
            Err(EditError::NotListed {
                key: "planes",
                name: "prod".into()
            })
        );
    }

    #[test]
    fn scalars_that_yaml_would_read_otherwise_are_quoted() {
        assert_eq!(scalar("kind-dp2"), "kind-dp2");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("1.30"), "\"1.30\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar(""), "\"\"");
    }
}
