//! choreoctl running in the background, to be killed at a chosen point (`kill -9` tests of
//! tests/it/install_runs.rs and tests/it/module_remove.rs).

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::harness::Test;

/// choreoctl running in the background, in its own process group (choreoctl and the helm
/// processes it starts), its stderr in a file.
pub struct Background {
    child: Child,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Background {
    /// Starts `test`'s command ([`Test::into_command`]) without waiting for it.
    pub fn spawn(test: Test) -> Self {
        use std::os::unix::process::CommandExt;
        let (mut command, dir) = test.into_command();
        let stderr = dir.path().join("stderr");
        let child = command
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .process_group(0)
            .spawn()
            .unwrap();
        Self {
            child,
            stderr,
            _dir: dir,
        }
    }

    /// What it wrote on stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Polls `point` every 100 ms; once it holds, SIGKILLs choreoctl (and with `group` every
    /// helm it runs, as a lost machine would) and returns its stderr. Panics if choreoctl
    /// exits first or `point` does not come within two minutes.
    pub fn kill_when(
        mut self,
        what: &str,
        group: bool,
        mut point: impl FnMut(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "choreoctl exited ({status}) before {what}:\n{}",
                    self.stderr()
                );
            }
            if point(&self.stderr()) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} in 2 min:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let pid = self.child.id() as i32;
        let target = if group { -pid } else { pid };
        // SAFETY: kill(2) with our child's pid (or its process group); the child is not reaped.
        assert_eq!(unsafe { libc::kill(target, libc::SIGKILL) }, 0);
        self.child.wait().unwrap();
        self.stderr()
    }
}
