//! Panic handling shared by the fuzz targets.
//!
//! libfuzzer-sys installs a panic hook that aborts on every panic, which is what a target
//! wants for a bug nobody knows of yet. Two kinds of panic must not stop a run, though:
//! - a bug already reported and waiting for a fix in `src/` (listed in [`KNOWN`]), so the
//!   fuzzer can look for other bugs meanwhile; set `LIFECIRCLE_FUZZ_STRICT=1` to treat these
//!   as crashes again (to check a fix);
//! - for the `analyse` target, panics that the pipeline itself catches (geo's boolean
//!   operations are wrapped in `catch_unwind` and reported as `Error::Geometry`).
//!
//! Every other panic aborts, as before, so libFuzzer saves the input as a crash.

// Each target uses a part of this module.
#![allow(dead_code)]

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe, PanicHookInfo};
use std::sync::{Mutex, Once};

/// Panics already reported, as (end of the file path, start of the message), e.g.
/// `("geojson-1.0.0/src/conversion/to_geo_types.rs", "index out of bounds")`, which was
/// here from its discovery on 2026-11-23 until `src/load/read.rs` checked positions (commit
/// 7afabbf). Empty: nothing is pending.
pub const KNOWN: &[(&str, &str)] = &[];

/// What the last panic said.
#[derive(Clone, Debug)]
pub struct Panic {
    pub location: String,
    pub message: String,
    /// Captured for panics that are not [`KNOWN`], to print if they escape.
    pub backtrace: String,
}

impl Panic {
    fn of(info: &PanicHookInfo<'_>) -> Panic {
        let location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let mut p = Panic {
            location,
            message,
            backtrace: String::new(),
        };
        if !p.is_known() {
            p.backtrace = std::backtrace::Backtrace::force_capture().to_string();
        }
        p
    }

    /// Whether this is one of the [`KNOWN`] panics (and strict mode is off).
    pub fn is_known(&self) -> bool {
        !strict()
            && KNOWN.iter().any(|(file, message)| {
                self.location
                    .split(':')
                    .next()
                    .is_some_and(|f| f.ends_with(file))
                    && self.message.starts_with(message)
            })
    }
}

fn strict() -> bool {
    std::env::var_os("LIFECIRCLE_FUZZ_STRICT").is_some_and(|v| v != "0")
}

static LAST: Mutex<Option<Panic>> = Mutex::new(None);
static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
static HOOK: Once = Once::new();

/// Says once per location that a tolerated panic happened.
fn note_once(kind: &str, p: &Panic) {
    if let Ok(mut seen) = SEEN.lock() {
        if seen
            .get_or_insert_with(HashSet::new)
            .insert(p.location.clone())
        {
            eprintln!(
                "[lifecircle-fuzz] {kind} panic tolerated (reported once per location): \
                 panicked at {}: {}",
                p.location, p.message
            );
        }
    }
}

/// Replaces libfuzzer-sys's hook. With `tolerate_all` every panic unwinds (the caller
/// decides after [`run`] returns); otherwise only [`KNOWN`] ones do and any other aborts
/// right here, with its message and a backtrace.
pub fn install(tolerate_all: bool) {
    HOOK.call_once(|| {
        let aborting = std::panic::take_hook(); // libfuzzer-sys's: default hook + abort
        std::panic::set_hook(Box::new(move |info| {
            let p = Panic::of(info);
            if let Ok(mut last) = LAST.lock() {
                *last = Some(p.clone());
            }
            if p.is_known() {
                note_once("known", &p);
            } else if !tolerate_all {
                aborting(info);
            }
        }));
    });
}

/// Runs `f`; `Err` with the panic if it panicked (and the hook let it unwind).
pub fn run<T>(f: impl FnOnce() -> T) -> Result<T, Panic> {
    if let Ok(mut last) = LAST.lock() {
        *last = None;
    }
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
        LAST.lock().ok().and_then(|l| l.clone()).unwrap_or(Panic {
            location: String::new(),
            message: "(no message)".into(),
            backtrace: String::new(),
        })
    })
}

/// The panic since the last [`run`] began, if any (one the library caught, when `run`
/// returned `Ok`).
pub fn last() -> Option<Panic> {
    LAST.lock().ok().and_then(|l| l.clone())
}

/// For a panic that escaped: fine if known, else abort as a crash.
pub fn escaped(p: &Panic) {
    if p.is_known() {
        return;
    }
    eprintln!("panicked at {}: {}\n{}", p.location, p.message, p.backtrace);
    std::process::abort();
}

/// A known wrong result (not a panic), reported and awaiting a fix in `src/`: `true` (let
/// it through, said once per `name`) unless `LIFECIRCLE_FUZZ_STRICT` is set.
pub fn tolerate(name: &str, what: &str) -> bool {
    if strict() {
        return false;
    }
    if let Ok(mut seen) = SEEN.lock() {
        if seen
            .get_or_insert_with(HashSet::new)
            .insert(format!("invariant {name}"))
        {
            eprintln!("[lifecircle-fuzz] known issue {name} tolerated (said once): {what}");
        }
    }
    true
}

/// For a panic the library caught itself (analyse target): noted once.
pub fn caught(p: &Panic) {
    note_once("caught-by-lifecircle", p);
}

pub mod files;
