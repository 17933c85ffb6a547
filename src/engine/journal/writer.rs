//! The journal during a run: one writer, saved after each finished step. A failed save stops
//! the run (no further step starts) and is reported when it ends.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use k8s_openapi::jiff::Timestamp;

use super::digest::Digest;
use super::model::{Journal, RunStatus, StepRecord};
use super::store::{JournalError, JournalStore};

/// The journal of a run in progress and the `resourceVersion` to save it against.
pub struct JournalWriter<'a> {
    store: &'a JournalStore,
    state: tokio::sync::Mutex<(Journal, String)>,
    error: Mutex<Option<JournalError>>,
}

impl<'a> JournalWriter<'a> {
    /// Writes `journal`, saved at `version`, to `store` from now on.
    pub fn new(store: &'a JournalStore, journal: Journal, version: String) -> Self {
        Self {
            store,
            state: tokio::sync::Mutex::new((journal, version)),
            error: Mutex::new(None),
        }
    }

    /// The record of step `id`, if it finished before.
    pub async fn record(&self, id: &str) -> Option<StepRecord> {
        self.state.lock().await.0.steps.get(id).cloned()
    }

    /// Records a finished step (and the output it read) and saves the journal; a failed save
    /// sets `stop` and is kept for [`JournalWriter::finish`].
    pub async fn record_step(
        &self,
        id: &str,
        digest: Digest,
        revision: Option<u32>,
        output: Option<&str>,
        stop: &AtomicBool,
    ) {
        let mut state = self.state.lock().await;
        let (journal, version) = &mut *state;
        journal.record_step(id, digest, revision, Timestamp::now());
        if let Some(output) = output {
            journal.record_output(id, output.to_owned());
        }
        match self.store.save(journal, Some(version)).await {
            Ok(saved) => *version = saved,
            Err(error) => {
                stop.store(true, Ordering::SeqCst);
                let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
                slot.get_or_insert(error);
            }
        }
    }

    /// Ends the run: `status` when it ran to the end (`None`: it was stopped and stays in
    /// progress, to be resumed).
    ///
    /// # Errors
    ///
    /// The first failed save of the run, or the last one (exit 1).
    pub async fn finish(self, status: Option<RunStatus>) -> Result<(), JournalError> {
        if let Some(error) = self.error.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(error);
        }
        let (mut journal, version) = self.state.into_inner();
        if let Some(status) = status {
            journal.finish(status, Timestamp::now());
            self.store.save(&journal, Some(&version)).await?;
        }
        Ok(())
    }
}
