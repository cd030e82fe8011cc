//! hnswlib's `checkIntegrity`: a sanity check of the graph that a user can run after a
//! load, a crash or a long run of updates.
//!
//! hnswlib asserts (and aborts) on the first violation; here it is an error naming it.
//! Checked per element and level: the list fits its capacity, every link names an
//! existing element of that level, none links to itself, and no link is repeated.
//! hnswlib also asserts that every element has a link into it; an element without
//! one is not damage (the neighbour selection can prune every link to it, and
//! searches then cannot reach it), so it is counted instead
//! ([`IntegrityReport::without_inbound`]).

use rustc_hash::FxHashSet;

use super::{format, Graph};
use crate::error::{Error, Result};

/// What [`super::HnswIndex::check_integrity`] found in a sound graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntegrityReport {
    /// Links checked (hnswlib's `connections_checked`).
    pub connections: u64,
    /// Fewest links into one element, over all levels.
    pub min_inbound: u64,
    /// Most links into one element, over all levels.
    pub max_inbound: u64,
    /// Elements no other element links to (0 for a graph of one element).
    pub without_inbound: u64,
}

fn broken(what: String) -> Error {
    Error::corrupt(format!("graph integrity: {what}"))
}

pub(super) fn check(g: &Graph) -> Result<IntegrityReport> {
    let s = &g.storage;
    let n = s.len();
    // Capacities, ranges and levels, on all cores.
    format::check_links(g, n)?;
    let mut inbound = vec![0u64; n];
    let mut connections = 0u64;
    let mut seen = FxHashSet::default();
    for id in 0..n as u32 {
        for level in 0..=s.level(id) {
            let links = s.links(id, level);
            seen.clear();
            for i in 0..links.len() {
                let t = links.get(i);
                if t == id {
                    return Err(broken(format!(
                        "element {id} level {level} links to itself"
                    )));
                }
                if !seen.insert(t) {
                    return Err(broken(format!(
                        "element {id} level {level} links to {t} twice"
                    )));
                }
                inbound[t as usize] += 1;
                connections += 1;
            }
        }
    }
    let without_inbound = if n > 1 {
        inbound.iter().filter(|&&c| c == 0).count() as u64
    } else {
        0
    };
    Ok(IntegrityReport {
        without_inbound,
        connections,
        min_inbound: inbound.iter().copied().min().unwrap_or(0),
        max_inbound: inbound.iter().copied().max().unwrap_or(0),
    })
}
