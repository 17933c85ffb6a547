//! Dependency order: Secure Core first, requirements before the modules that need them, and the
//! path of a requirement cycle when there is one.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use petgraph::graphmap::DiGraphMap;

use super::ResolveError;
use crate::catalog::SECURE_CORE;
use crate::catalog::model::Module;
use crate::profile::model::ModuleSpec;

/// Secure Core first, then every module after the modules it requires.
pub(super) fn dependency_order(
    modules: &BTreeMap<String, Module>,
    asked: &BTreeMap<String, &ModuleSpec>,
) -> Result<Vec<String>, ResolveError> {
    let mut graph: DiGraphMap<&str, ()> = DiGraphMap::new();
    graph.add_node(SECURE_CORE);
    let mut queue: Vec<&str> = asked.keys().map(String::as_str).collect();
    let mut seen = BTreeSet::new();
    while let Some(name) = queue.pop() {
        if !seen.insert(name) {
            continue;
        }
        graph.add_node(name);
        graph.add_edge(SECURE_CORE, name, ());
        for required in &modules[name].requires {
            graph.add_edge(required.as_str(), name, ());
            queue.push(required);
        }
    }
    if let Err(cycle) = petgraph::algo::toposort(&graph, None) {
        let path = cycle_path(&graph, cycle.node_id());
        return Err(ResolveError::Input {
            message: format!("module requirements form a cycle: {}", path.join(" -> ")),
            help: "break the cycle in the `requires:` lists of the catalog (modules/*.yaml)".into(),
        });
    }
    // Acyclic: emit, among the modules whose requirements are done, the earliest adoption
    // stage first (then by name), so plans read in the order platforms grow.
    let mut order: Vec<String> = Vec::new();
    while order.len() < graph.node_count() {
        let next = graph
            .nodes()
            .filter(|name| !order.iter().any(|done| done == name))
            .filter(|name| {
                graph
                    .neighbors_directed(name, petgraph::Direction::Incoming)
                    .all(|before| order.iter().any(|done| done == before))
            })
            .min_by_key(|name| (modules[*name].stage, *name))
            .expect("an acyclic graph always has a ready node");
        order.push(next.to_string());
    }
    Ok(order)
}

/// Asked modules that (transitively) require `name`.
pub(super) fn resolved_requirers(
    modules: &BTreeMap<String, Module>,
    asked: &BTreeMap<String, &ModuleSpec>,
    name: &str,
) -> Vec<String> {
    asked
        .keys()
        .filter(|asked| {
            let mut queue = vec![asked.as_str()];
            let mut seen = BTreeSet::new();
            while let Some(next) = queue.pop() {
                if !seen.insert(next) {
                    continue;
                }
                for required in &modules[next].requires {
                    if required == name {
                        return true;
                    }
                    queue.push(required);
                }
            }
            false
        })
        .cloned()
        .collect()
}

/// The shortest cycle through `start`, as the modules along it, `start` repeated at the end.
fn cycle_path<'a>(graph: &DiGraphMap<&'a str, ()>, start: &'a str) -> Vec<&'a str> {
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in graph.neighbors(node) {
            if next == start {
                let mut path = vec![start];
                let mut current = node;
                while current != start {
                    path.push(current);
                    current = parent[current];
                }
                path.push(start);
                let last = path.len() - 1;
                path[1..last].reverse();
                return path;
            }
            if !parent.contains_key(next) {
                parent.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    vec![start, start]
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::catalog::Catalog;
    use crate::resolve::fixtures::*;

    #[test]
    fn requirements_are_added_transitively_and_ordered_first() {
        let resolved =
            resolve_yaml(&profile("cilium", TOPOLOGY, "    - name: automate\n")).unwrap();
        let names: Vec<&str> = resolved.modules.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["secure-core", "build", "automate"]);
        assert_eq!(module(&resolved, "build").required_by, ["automate"]);
        assert!(module(&resolved, "automate").required_by.is_empty());
    }

    #[test]
    fn a_requirement_cycle_prints_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for sub in ["modules", "templates"] {
            copy_dir(&root.join(sub), &dir.path().join(sub));
        }
        for (name, requires) in [
            ("cd", "[registry]"),
            ("registry", "[edge]"),
            ("edge", "[cd]"),
        ] {
            let path = dir.path().join(format!("modules/{name}.yaml"));
            let text = std::fs::read_to_string(&path).unwrap();
            let text = text.replacen(
                "\neditions:",
                &format!("\nrequires: {requires}\neditions:"),
                1,
            );
            std::fs::write(&path, text).unwrap();
        }
        let catalog = Catalog::from_dir(dir.path()).unwrap();
        let planes = "    - {name: control, type: control}\n    - {name: eu, type: data}\n\
            \x20   - {name: ci, type: workflow}\n";
        let text = message(
            resolve_with(&catalog, &profile("cilium", planes, "    - name: edge\n")).unwrap_err(),
        );
        assert!(text.contains("module requirements form a cycle:"), "{text}");
        let cycle = text
            .split("cycle: ")
            .nth(1)
            .unwrap()
            .split(" |")
            .next()
            .unwrap();
        let path: Vec<&str> = cycle.split(" -> ").collect();
        assert_eq!(path.len(), 4, "{text}");
        assert_eq!(path.first(), path.last(), "{text}");
        for name in ["cd", "registry", "edge"] {
            assert!(path.contains(&name), "{text}");
        }
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                copy_dir(&path, &target);
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }
}
