//! Runs a DAG of steps: each step starts as soon as its own needs are done (no level barriers),
//! at most `per_cluster` steps at once against one cluster, and at most a group's own limit of
//! the steps in a group (e.g. "nodes of cluster X being drained: at most N at once") while steps
//! outside it keep running. A failed step's dependents are
//! skipped; independent branches run to the end. Among ready steps, the one heading the longest
//! remaining chain of work starts first, so a concurrency limit delays the critical path last.
//!
//! The executor knows nothing about helm or Kubernetes: it is given nodes (id, needs, cluster,
//! estimated cost) and a function that runs one node, and it returns what became of each node
//! with its start and finish times.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use futures::stream::{FuturesUnordered, StreamExt};

/// One step as the executor sees it.
#[derive(Debug, Clone)]
pub struct Node {
    /// Unique id (the plan step's id).
    pub id: String,
    /// Ids of the nodes that must finish successfully first.
    pub needs: Vec<String>,
    /// Nodes with the same cluster share its concurrency limit.
    pub cluster: String,
    /// A group with a limit of its own ([`Limits::groups`]), besides the cluster's; `None`:
    /// only the cluster's limit applies.
    pub group: Option<String>,
    /// Estimated relative duration, used only to order ready nodes.
    pub cost: u32,
}

/// What became of one node.
#[derive(Debug)]
pub enum Fate<T, E> {
    /// It ran and returned `Ok`.
    Done(T),
    /// It ran and returned `Err`.
    Failed(E),
    /// It did not run because a node it needs (directly or not) failed or was skipped: the
    /// first such need is named.
    Skipped {
        /// The need that did not finish.
        because: String,
    },
    /// It did not run because the run was stopped (interrupted) before it could start.
    NotStarted,
}

impl<T, E> Fate<T, E> {
    /// Whether the node ran and succeeded.
    pub fn is_done(&self) -> bool {
        matches!(self, Self::Done(_))
    }
}

/// One node's fate and, if it ran, when.
#[derive(Debug)]
pub struct NodeResult<T, E> {
    /// What became of it.
    pub fate: Fate<T, E>,
    /// Offset from the start of the run at which it started, if it ran.
    pub started: Option<Duration>,
    /// How long it ran, if it ran.
    pub elapsed: Option<Duration>,
}

/// Limits of one run.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Nodes running at once against one cluster (at least 1).
    pub per_cluster: usize,
    /// Nodes running at once in each group, by group name (at least 1; a group not named here
    /// has no limit of its own).
    pub groups: BTreeMap<String, usize>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_cluster: 1,
            groups: BTreeMap::new(),
        }
    }
}

impl Limits {
    /// The limit of `group`, if it has one.
    fn of_group(&self, group: Option<&str>) -> Option<usize> {
        group
            .and_then(|group| self.groups.get(group))
            .map(|&limit| limit.max(1))
    }
}

/// Runs every node, calling `run(index)` for node `nodes[index]` once all its needs are done.
/// Needs must name nodes earlier in `nodes` (a plan's order guarantees it). Once `stop` is set,
/// no further node starts; running ones are awaited. Results are in the order of `nodes`.
pub async fn execute<T, E, F, Fut>(
    nodes: &[Node],
    limits: Limits,
    stop: &AtomicBool,
    run: F,
) -> Vec<NodeResult<T, E>>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let index: BTreeMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| (node.id.as_str(), i))
        .collect();
    let needs: Vec<Vec<usize>> = nodes
        .iter()
        .map(|node| {
            node.needs
                .iter()
                .map(|need| {
                    *index
                        .get(need.as_str())
                        .unwrap_or_else(|| panic!("{} needs unknown node {need}", node.id))
                })
                .collect()
        })
        .collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, node_needs) in needs.iter().enumerate() {
        for &need in node_needs {
            dependents[need].push(i);
        }
    }
    let priority = remaining_cost(nodes, &dependents);

    let mut waiting_on: Vec<usize> = needs.iter().map(Vec::len).collect();
    let mut fates: Vec<Option<NodeResult<T, E>>> = (0..nodes.len()).map(|_| None).collect();
    let mut ready: Vec<usize> = (0..nodes.len()).filter(|&i| waiting_on[i] == 0).collect();
    let mut running_on: BTreeMap<&str, usize> = BTreeMap::new();
    let mut running_in: BTreeMap<&str, usize> = BTreeMap::new();
    let per_cluster = limits.per_cluster.max(1);
    let origin = Instant::now();
    let mut running = FuturesUnordered::new();

    loop {
        if !stop.load(Ordering::SeqCst) {
            // Highest remaining cost first; plan order breaks ties.
            ready.sort_by_key(|&i| (std::cmp::Reverse(priority[i]), i));
            let mut still_ready = Vec::new();
            for i in ready.drain(..) {
                let group = nodes[i].group.as_deref();
                let group_full = limits.of_group(group).is_some_and(|limit| {
                    running_in
                        .get(group.unwrap_or_default())
                        .copied()
                        .unwrap_or(0)
                        >= limit
                });
                let busy = running_on.entry(nodes[i].cluster.as_str()).or_default();
                if *busy >= per_cluster || group_full {
                    still_ready.push(i);
                    continue;
                }
                *busy += 1;
                if let Some(group) = group {
                    *running_in.entry(group).or_default() += 1;
                }
                let started = origin.elapsed();
                let future = run(i);
                running.push(async move {
                    let result = future.await;
                    (i, started, result)
                });
            }
            ready = still_ready;
        }
        let Some((i, started, result)) = running.next().await else {
            break;
        };
        let elapsed = origin.elapsed().saturating_sub(started);
        *running_on
            .get_mut(nodes[i].cluster.as_str())
            .expect("counted when started") -= 1;
        if let Some(group) = nodes[i].group.as_deref() {
            *running_in.get_mut(group).expect("counted when started") -= 1;
        }
        let ok = result.is_ok();
        fates[i] = Some(NodeResult {
            fate: match result {
                Ok(value) => Fate::Done(value),
                Err(error) => Fate::Failed(error),
            },
            started: Some(started),
            elapsed: Some(elapsed),
        });
        if ok {
            for &dependent in &dependents[i] {
                waiting_on[dependent] -= 1;
                if waiting_on[dependent] == 0 && fates[dependent].is_none() {
                    ready.push(dependent);
                }
            }
        } else {
            skip_dependents(i, nodes, &dependents, &mut fates);
        }
    }

    fates
        .into_iter()
        .map(|fate| {
            fate.unwrap_or(NodeResult {
                fate: Fate::NotStarted,
                started: None,
                elapsed: None,
            })
        })
        .collect()
}

/// Marks every node that depends on `failed`, directly or not, as skipped because of it.
fn skip_dependents<T, E>(
    failed: usize,
    nodes: &[Node],
    dependents: &[Vec<usize>],
    fates: &mut [Option<NodeResult<T, E>>],
) {
    let mut stack = vec![failed];
    while let Some(i) = stack.pop() {
        for &dependent in &dependents[i] {
            if fates[dependent].is_none() {
                fates[dependent] = Some(NodeResult {
                    fate: Fate::Skipped {
                        because: nodes[i].id.clone(),
                    },
                    started: None,
                    elapsed: None,
                });
                stack.push(dependent);
            }
        }
    }
}

/// For each node, its cost plus the largest remaining cost of any node that depends on it.
fn remaining_cost(nodes: &[Node], dependents: &[Vec<usize>]) -> Vec<u64> {
    let mut remaining = vec![0u64; nodes.len()];
    // Dependents come later in `nodes`, so a reverse sweep sees them first.
    for i in (0..nodes.len()).rev() {
        let tail = dependents[i]
            .iter()
            .map(|&d| remaining[d])
            .max()
            .unwrap_or(0);
        remaining[i] = u64::from(nodes[i].cost) + tail;
    }
    remaining
}

/// The longest chain of `needs` through the nodes that ran, weighted by their measured
/// durations: no schedule of these steps can finish faster than this.
pub fn critical_path<T, E>(nodes: &[Node], results: &[NodeResult<T, E>]) -> Duration {
    let index: BTreeMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| (node.id.as_str(), i))
        .collect();
    let mut finish = vec![Duration::ZERO; nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        let start = node
            .needs
            .iter()
            .filter_map(|need| index.get(need.as_str()))
            .map(|&need| finish[need])
            .max()
            .unwrap_or(Duration::ZERO);
        finish[i] = start + results[i].elapsed.unwrap_or(Duration::ZERO);
    }
    finish.into_iter().max().unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn node(id: &str, needs: &[&str], cluster: &str) -> Node {
        Node {
            id: id.to_string(),
            needs: needs.iter().map(|n| n.to_string()).collect(),
            cluster: cluster.to_string(),
            group: None,
            cost: 1,
        }
    }

    /// Runs `nodes`, each sleeping `millis(id)`, failing where `fails(id)`; returns the results
    /// and the order in which nodes started.
    async fn run(
        nodes: &[Node],
        per_cluster: usize,
        groups: &[(&str, usize)],
        millis: impl Fn(&str) -> u64,
        fails: impl Fn(&str) -> bool,
    ) -> (Vec<NodeResult<(), String>>, Vec<String>) {
        let started = Mutex::new(Vec::new());
        let stop = AtomicBool::new(false);
        let limits = Limits {
            per_cluster,
            groups: groups
                .iter()
                .map(|(group, limit)| (group.to_string(), *limit))
                .collect(),
        };
        let results = execute(nodes, limits, &stop, |i| {
            let id = nodes[i].id.clone();
            started.lock().unwrap().push(id.clone());
            let sleep = millis(&id);
            let fail = fails(&id);
            async move {
                tokio::time::sleep(Duration::from_millis(sleep)).await;
                if fail {
                    Err(format!("{id} broke"))
                } else {
                    Ok(())
                }
            }
        })
        .await;
        (results, started.into_inner().unwrap())
    }

    #[tokio::test(start_paused = true)]
    async fn a_step_starts_when_its_own_needs_finish_not_when_its_level_does() {
        // a (slow) and b (fast) have no needs; c needs only b. With level barriers c would wait
        // for a; here it starts as soon as b is done.
        let nodes = [
            node("a", &[], "x"),
            node("b", &[], "y"),
            node("c", &["b"], "y"),
        ];
        let (results, _) = run(
            &nodes,
            4,
            &[],
            |id| if id == "a" { 1000 } else { 100 },
            |_| false,
        )
        .await;
        assert!(results.iter().all(|r| r.fate.is_done()));
        assert_eq!(results[2].started, Some(Duration::from_millis(100)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_skips_its_dependents_and_independent_branches_finish() {
        let nodes = [
            node("base", &[], "x"),
            node("broken", &["base"], "x"),
            node("after-broken", &["broken"], "x"),
            node("after-after", &["after-broken"], "y"),
            node("other", &["base"], "y"),
        ];
        let (results, started) = run(&nodes, 4, &[], |_| 10, |id| id == "broken").await;
        assert!(matches!(results[1].fate, Fate::Failed(ref e) if e == "broken broke"));
        assert!(matches!(results[2].fate, Fate::Skipped { ref because } if because == "broken"));
        assert!(
            matches!(results[3].fate, Fate::Skipped { ref because } if because == "after-broken")
        );
        assert!(results[4].fate.is_done());
        assert!(!started.contains(&"after-broken".to_string()));
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_per_cluster_steps_run_at_once_on_one_cluster() {
        let nodes: Vec<Node> = (0..6)
            .map(|i| node(&format!("s{i}"), &[], if i < 4 { "x" } else { "y" }))
            .collect();
        let (results, _) = run(&nodes, 2, &[], |_| 100, |_| false).await;
        let starts: Vec<u128> = results
            .iter()
            .map(|r| r.started.unwrap().as_millis())
            .collect();
        // Cluster x: two at 0 ms, two at 100 ms; cluster y runs its two at once meanwhile.
        assert_eq!(starts, [0, 0, 100, 100, 0, 0]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_longest_remaining_chain_starts_first_when_slots_are_scarce() {
        // One slot. `short` comes first in plan order but `long` heads a chain of three.
        let mut long = node("long", &[], "x");
        long.cost = 1;
        let nodes = [
            node("short", &[], "x"),
            long,
            node("long-2", &["long"], "x"),
            node("long-3", &["long-2"], "x"),
        ];
        let (_, started) = run(&nodes, 1, &[], |_| 10, |_| false).await;
        assert_eq!(started[0], "long");
    }

    #[tokio::test(start_paused = true)]
    async fn once_stopped_no_further_step_starts() {
        let nodes = [node("first", &[], "x"), node("second", &["first"], "x")];
        let stop = AtomicBool::new(false);
        let results: Vec<NodeResult<(), String>> =
            execute(&nodes, Limits::default(), &stop, |_| {
                stop.store(true, Ordering::SeqCst);
                async { Ok(()) }
            })
            .await;
        assert!(results[0].fate.is_done());
        assert!(matches!(results[1].fate, Fate::NotStarted));
    }

    #[tokio::test(start_paused = true)]
    async fn a_group_limit_holds_its_steps_back_while_other_steps_run() {
        // Three drains of cluster x's nodes, at most one at once; two other steps on x run
        // beside them under the cluster's limit of 3.
        let mut nodes = vec![
            node("drain-1", &[], "x"),
            node("drain-2", &[], "x"),
            node("drain-3", &[], "x"),
            node("other-1", &[], "x"),
            node("other-2", &[], "x"),
        ];
        for drain in &mut nodes[..3] {
            drain.group = Some("drain@x".into());
        }
        let (results, _) = run(&nodes, 3, &[("drain@x", 1)], |_| 100, |_| false).await;
        let started = |i: usize| results[i].started.unwrap().as_millis();
        let mut drains = vec![started(0), started(1), started(2)];
        drains.sort_unstable();
        assert_eq!(drains, [0, 100, 200], "one drain at a time");
        assert_eq!((started(3), started(4)), (0, 0), "the others do not wait");
    }

    #[tokio::test(start_paused = true)]
    async fn the_critical_path_follows_measured_durations() {
        let nodes = [
            node("a", &[], "x"),
            node("b", &["a"], "x"),
            node("c", &[], "y"),
        ];
        let (results, _) = run(
            &nodes,
            4,
            &[],
            |id| match id {
                "a" => 100,
                "b" => 50,
                _ => 120,
            },
            |_| false,
        )
        .await;
        assert_eq!(critical_path(&nodes, &results), Duration::from_millis(150));
    }
}
