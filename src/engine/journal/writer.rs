//! The journal during a run: one writer, saved after each finished step. A failed save stops
//! the run (no further step starts) and is reported when it ends.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use k8s_openapi::jiff::Timestamp;

use super::digest::Digest;
use super::model::{Journal, Made, RunStatus, StepRecord};
use super::store::{JournalError, JournalStore};

/// A finished step, as [`JournalWriter::record_step`] records it.
pub struct Finished<'a> {
    /// Its id.
    pub id: &'a str,
    /// The digest of its rendered inputs.
    pub digest: Digest,
    /// Helm steps: the revision it produced.
    pub revision: Option<u32>,
    /// Read steps: the value read.
    pub output: Option<&'a str>,
    /// What it made (helm and apply steps).
    pub made: Option<Made>,
    /// The steps it needed.
    pub needs: &'a [String],
    /// Helm steps: the release is someone else's, used as it is.
    pub external: bool,
}

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

    /// Records a finished step (the output it read, what it made and the steps it needed)
    /// and saves the journal; a failed save sets `stop` and is kept for
    /// [`JournalWriter::finish`].
    pub async fn record_step(&self, finished: Finished<'_>, stop: &AtomicBool) {
        let mut state = self.state.lock().await;
        let (journal, _) = &mut *state;
        journal.record_step(
            finished.id,
            finished.digest,
            finished.revision,
            Timestamp::now(),
        );
        journal.record_made(finished.id, finished.made, finished.needs);
        if finished.external {
            journal.record_external(finished.id);
        }
        if let Some(output) = finished.output {
            journal.record_output(finished.id, output.to_owned());
        }
        self.save(&mut state, stop).await;
    }

    /// Records what a skipped step made, when its record (written by an older choreoctl)
    /// lacks it, and saves the journal then.
    pub async fn record_made(
        &self,
        id: &str,
        made: Option<Made>,
        needs: &[String],
        stop: &AtomicBool,
    ) {
        let mut state = self.state.lock().await;
        if state.0.record_made(id, made, needs) {
            self.save(&mut state, stop).await;
        }
    }

    /// Forgets a step whose work a remove step took away, and saves the journal.
    pub async fn forget_step(&self, id: &str, stop: &AtomicBool) {
        let mut state = self.state.lock().await;
        state.0.forget_step(id);
        self.save(&mut state, stop).await;
    }

    async fn save(&self, state: &mut (Journal, String), stop: &AtomicBool) {
        let (journal, version) = state;
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
