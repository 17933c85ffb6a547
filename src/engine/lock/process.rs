//! Which process holds a lock, precisely enough to tell later, on the same machine, that it is
//! gone: a run killed with `kill -9` (or by a closed terminal, or the OOM killer) leaves its
//! Lease live until it expires, and the user re-running `install` on that machine right away
//! should not have to wait for that or reach for `--force-unlock`.
//!
//! A process is named by the kernel's boot id, its PID namespace, its PID and its start time
//! (`/proc/<pid>/stat` field 22): the boot id and namespace make sure the PID means the same
//! thing for the reader (not another machine with the same host name, another boot, or another
//! container), the start time that the PID was not reused. Only Linux has these; elsewhere
//! nothing is recorded and a dead holder's Lease simply expires.

use std::path::Path;

/// A process on one machine, as recorded in the Lease's annotation
/// [`HOLDER_PROCESS_ANNOTATION`](crate::names::HOLDER_PROCESS_ANNOTATION): `<boot id> <PID namespace>
/// <pid> <start time>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalProcess {
    boot_id: String,
    pid_namespace: String,
    pid: u32,
    start_time: u64,
}

impl LocalProcess {
    /// This process, if the system says enough about it (Linux `/proc`).
    pub fn this() -> Option<Self> {
        let pid = std::process::id();
        Some(Self {
            boot_id: boot_id()?,
            pid_namespace: pid_namespace()?,
            pid,
            start_time: start_time(pid)?.0,
        })
    }

    /// Parses an annotation written by [`LocalProcess::to_annotation`].
    pub fn from_annotation(text: &str) -> Option<Self> {
        let mut fields = text.split(' ');
        let process = Self {
            boot_id: fields.next()?.to_owned(),
            pid_namespace: fields.next()?.to_owned(),
            pid: fields.next()?.parse().ok()?,
            start_time: fields.next()?.parse().ok()?,
        };
        fields.next().is_none().then_some(process)
    }

    /// The annotation's value.
    pub fn to_annotation(&self) -> String {
        format!(
            "{} {} {} {}",
            self.boot_id, self.pid_namespace, self.pid, self.start_time
        )
    }

    /// Whether `self` is known to have exited: it ran where `here` runs (same boot, same PID
    /// namespace), and no live process has its PID and start time. A process of another machine,
    /// boot or namespace is never judged gone.
    pub fn is_gone_seen_from(&self, here: &LocalProcess) -> bool {
        if self.boot_id != here.boot_id || self.pid_namespace != here.pid_namespace {
            return false;
        }
        match start_time(self.pid) {
            None => true,
            Some((start, zombie)) => zombie || start != self.start_time,
        }
    }
}

fn read_trimmed(path: impl AsRef<Path>) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(text.trim().to_owned()).filter(|t| !t.is_empty() && !t.contains(' '))
}

fn boot_id() -> Option<String> {
    read_trimmed("/proc/sys/kernel/random/boot_id")
}

fn pid_namespace() -> Option<String> {
    let link = std::fs::read_link("/proc/self/ns/pid").ok()?;
    Some(link.to_string_lossy().into_owned()).filter(|t| !t.is_empty() && !t.contains(' '))
}

/// A process's start time (clock ticks since boot) and whether it is a zombie (exited, not yet
/// reaped by its parent); `None` when no process has that PID.
fn start_time(pid: u32) -> Option<(u64, bool)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

/// Fields after the command name (which may hold spaces and parentheses): state is field 3,
/// start time field 22.
fn parse_stat(stat: &str) -> Option<(u64, bool)> {
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = *fields.first()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((start, state == "Z" || state == "X"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_round_trips_through_the_annotation() {
        let me = LocalProcess::this().expect("Linux /proc");
        let parsed = LocalProcess::from_annotation(&me.to_annotation()).unwrap();
        assert_eq!(parsed, me);
        assert!(!me.is_gone_seen_from(&me));
    }

    #[test]
    fn an_exited_process_or_a_reused_pid_is_gone() {
        let me = LocalProcess::this().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let exited = LocalProcess { pid, ..me.clone() };
        assert!(exited.is_gone_seen_from(&me));
        let reused = LocalProcess {
            start_time: me.start_time + 1,
            ..me.clone()
        };
        assert!(reused.is_gone_seen_from(&me));
    }

    #[test]
    fn a_process_of_another_boot_or_namespace_is_never_judged_gone() {
        let me = LocalProcess::this().unwrap();
        let gone_pid = u32::MAX;
        let other_boot = LocalProcess {
            boot_id: "another-boot".into(),
            pid: gone_pid,
            ..me.clone()
        };
        let other_namespace = LocalProcess {
            pid_namespace: "pid:[1]".into(),
            pid: gone_pid,
            ..me.clone()
        };
        assert!(!other_boot.is_gone_seen_from(&me));
        assert!(!other_namespace.is_gone_seen_from(&me));
    }

    #[test]
    fn stat_with_a_command_name_holding_spaces_and_parentheses() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 12345 0 0";
        assert_eq!(parse_stat(stat), Some((12345, false)));
        let zombie = "42 (x) Z 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0";
        assert_eq!(parse_stat(zombie), Some((777, true)));
        assert_eq!(LocalProcess::from_annotation("a b c"), None);
        assert_eq!(LocalProcess::from_annotation("a b 1 2 3"), None);
    }
}
