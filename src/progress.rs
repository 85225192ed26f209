//! How a run tells its caller what it is doing: the binary draws progress bars and, with
//! `-v`, prints each step's time; the library itself prints nothing.

/// Hears the steps of a run. Every method has an empty default, so an observer implements
/// only what it needs. Methods are called from worker threads, hence `Sync`.
pub trait Progress: Sync {
    /// A step begins: `step` names it ("measure market"), `total` counts its items (0 when
    /// not counted).
    fn begin(&self, step: &str, total: u64) {
        let _ = (step, total);
    }

    /// `n` more items of the current step are done.
    fn advance(&self, n: u64) {
        let _ = n;
    }

    /// The current step is done.
    fn end(&self) {}
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}
