//! Which kinds a cluster serves: aggregated discovery (two requests), kept per cluster and
//! refreshed when it may be out of date (a CRD was applied, or a kind was not found).

use std::time::Duration;

use kube::Client;
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Discovery};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::patiently;

/// A cluster's discovery cache.
pub(super) struct Kinds {
    client: Client,
    state: Mutex<State>,
}

struct State {
    discovery: Option<Discovery>,
    /// When `discovery` was last fetched.
    refreshed: Option<Instant>,
    /// Set after a CRD is applied: the next lookup refreshes first.
    stale: bool,
}

/// First pause between two lookups of a kind that is not served yet; doubles up to one second.
const FIRST_PAUSE: Duration = Duration::from_millis(100);

impl Kinds {
    pub(super) fn new(client: Client) -> Self {
        Kinds {
            client,
            state: Mutex::new(State {
                discovery: None,
                refreshed: None,
                stale: true,
            }),
        }
    }

    /// Marks the cache out of date (after applying a CRD).
    pub(super) async fn invalidate(&self) {
        self.state.lock().await.stale = true;
    }

    /// Resolves `gvk`, refreshing discovery when it is not known, and retrying for up to
    /// `patience` (a CRD that was just applied takes a moment to be served). `Ok(None)` when
    /// the kind is still not served after that.
    pub(super) async fn resolve(
        &self,
        gvk: &GroupVersionKind,
        patience: Duration,
    ) -> Result<Option<(ApiResource, ApiCapabilities)>, kube::Error> {
        let deadline = Instant::now() + patience;
        let mut pause = FIRST_PAUSE;
        loop {
            let asked = Instant::now();
            {
                let mut state = self.state.lock().await;
                if !state.stale
                    && let Some(found) = state.lookup(gvk)
                {
                    return Ok(Some(found));
                }
                // Refresh unless someone else did while this caller waited for the lock.
                if state.stale || state.refreshed.is_none_or(|at| at < asked) {
                    state.refresh(&self.client).await?;
                    if let Some(found) = state.lookup(gvk) {
                        return Ok(Some(found));
                    }
                }
            }
            if Instant::now() + pause > deadline {
                return Ok(None);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }
}

impl State {
    fn lookup(&self, gvk: &GroupVersionKind) -> Option<(ApiResource, ApiCapabilities)> {
        self.discovery.as_ref()?.resolve_gvk(gvk)
    }

    async fn refresh(&mut self, client: &Client) -> Result<(), kube::Error> {
        let discovery = patiently(|| Discovery::new(client.clone()).run_aggregated()).await?;
        self.discovery = Some(discovery);
        self.refreshed = Some(Instant::now());
        self.stale = false;
        Ok(())
    }
}
