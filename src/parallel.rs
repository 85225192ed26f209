//! Work in parallel chunks, and panics in the geometry library turned into errors.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use crate::error::{Error, Result};

/// Items per parallel chunk of work that projects: several chunks per thread, so the threads
/// stay busy to the end, and a bounded number of results in flight.
pub(crate) fn chunk_size(items: usize) -> usize {
    (items / (8 * rayon::current_num_threads()).max(1)).clamp(256, 16384)
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
