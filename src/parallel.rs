//! Work in parallel chunks, and panics in the geometry library turned into errors.

use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use crate::error::{Error, Result};

/// Items per parallel chunk of work that projects: several chunks per thread, so the threads
/// stay busy to the end, and a bounded number of results in flight.
pub(crate) fn chunk_size(items: usize) -> usize {
    (items / (8 * rayon::current_num_threads()).max(1)).clamp(256, 16384)
}

/// Consecutive chunks of items weighed by their size (vertices): a chunk ends at
/// [`chunk_size`] items, or once it weighs a share of the whole (an eighth of a thread's,
/// at least 2,048), so that a few large boundaries spread over the threads as many small
/// ones do.
pub(crate) fn weighted_chunks(weights: &[usize]) -> Vec<Range<usize>> {
    let items = chunk_size(weights.len());
    let total: usize = weights.iter().sum();
    let heavy = (total / (8 * rayon::current_num_threads())).max(2048);
    let mut chunks = Vec::new();
    let (mut start, mut weight) = (0, 0);
    for (i, w) in weights.iter().enumerate() {
        weight += w;
        if i + 1 - start >= items || weight >= heavy {
            chunks.push(start..i + 1);
            (start, weight) = (i + 1, 0);
        }
    }
    if start < weights.len() {
        chunks.push(start..weights.len());
    }
    chunks
}

/// `items` cut at `chunks` (consecutive ranges from 0, as [`weighted_chunks`] gives).
pub(crate) fn split_at_chunks<'a, T>(
    mut items: &'a mut [T],
    chunks: &[Range<usize>],
) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let (head, tail) = items.split_at_mut(chunk.len());
        out.push(head);
        items = tail;
    }
    out
}

/// Runs `f`, turning a panic in the geometry library into an error naming the feature.
pub(crate) fn guarded<T>(
    path: &Path,
    index: usize,
    id: &str,
    category: &str,
    f: impl FnOnce() -> T,
) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| Error::Geometry {
        path: path.to_path_buf(),
        index,
        id: id.to_string(),
        message: format!(
            "measuring \"{category}\" failed inside the geometry library: {}",
            panic_message(&panic)
        ),
    })
}

pub(crate) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_item_once_and_split_heavy_ones() {
        // 16 districts of 2,000 vertices: two to a chunk (2,048 or more ends one), not all
        // 16 in one chunk of 256 items.
        let chunks = weighted_chunks(&[2000; 16]);
        assert_eq!(chunks.len(), 8, "{chunks:?}");
        let flat: Vec<usize> = chunks.iter().flat_map(|r| r.clone()).collect();
        assert_eq!(flat, (0..16).collect::<Vec<_>>());
        // A heavy one ends its chunk.
        let mut weights = vec![100; 16];
        weights[3] = 5000;
        assert_eq!(weighted_chunks(&weights), [0..4, 4..16]);
        // Many light items: chunks of chunk_size items.
        let weights = vec![10; 100_000];
        let chunks = weighted_chunks(&weights);
        assert!(chunks.iter().all(|r| r.len() <= chunk_size(100_000)));
        assert_eq!(chunks.last().map(|r| r.end), Some(100_000));
        assert!(weighted_chunks(&[]).is_empty());
    }

    #[test]
    fn split_at_chunks_gives_the_ranges() {
        let mut items: Vec<usize> = (0..10).collect();
        let parts = split_at_chunks(&mut items, &[0..3, 3..4, 4..10]);
        let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
        assert_eq!(lens, [3, 1, 6]);
        assert_eq!(parts[1], &mut [3]);
    }
}
