//! Arbitrary bytes as a CSV table, read as facilities (points from `lon`/`lat`) and as
//! communities (shapes from a `wkt` column).
//!
//! Must hold: no panic. On `Ok`, one feature per data record (counted here with the csv
//! crate, as a spreadsheet would see the rows): nothing is silently dropped; and the layer
//! is what the pipeline relies on.
#![no_main]

mod common;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifecircle::Job;

use common::files;

static FACILITIES: LazyLock<Job> =
    LazyLock::new(|| files::job("c.csv", "f.csv", "x = \"lon\"\ny = \"lat\""));
static COMMUNITIES: LazyLock<Job> = LazyLock::new(|| files::job("c.csv", "f.csv", "wkt = \"wkt\""));

/// Data records (after the header) as the csv crate reads them, blank lines skipped.
fn records(data: &[u8]) -> Option<usize> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(data);
    let mut n = 0;
    for r in reader.byte_records() {
        let r = r.ok()?;
        if r.iter().any(|f| !f.is_empty()) {
            n += 1;
        }
    }
    Some(n)
}

fuzz_target!(|data: &[u8]| {
    common::install(false);
    if !(files::put("c.csv", data) && files::put("f.csv", data)) {
        return;
    }
    let expected = records(data);
    let job = &*FACILITIES;
    if let Some(layer) = files::layer(common::run(|| {
        lifecircle::load::load_facilities(&job.facilities)
    })) {
        if let Some(n) = expected {
            assert_eq!(layer.features.len(), n, "facilities against records");
        }
        files::check_facilities(&layer);
    }
    let job = &*COMMUNITIES;
    let spec = job.communities.as_ref().expect("communities");
    if let Some(layer) = files::layer(common::run(|| lifecircle::load::load_communities(spec))) {
        if let Some(n) = expected {
            assert_eq!(layer.features.len(), n, "communities against records");
        }
        files::check_communities(&layer);
    }
});
