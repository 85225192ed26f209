//! Arbitrary bytes as an OpenStreetMap `.pbf` extract, read as facilities through tag rules
//! (the street network reads its blocks through the same `load::osm::for_each_element`).
//!
//! Must hold: no panic escapes the reader (osmpbf's own, on overflowing positions, is caught
//! and reported naming the block), no allocation beyond what a block may hold (libFuzzer's
//! RSS limit). On `Ok`, every facility has an id and finite sites, indices increasing.
#![no_main]

mod common;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifecircle::Job;

use common::files;

static JOB: LazyLock<Job> = LazyLock::new(|| files::job("c.geojson", "x.osm.pbf", ""));

fuzz_target!(|data: &[u8]| {
    // The reader catches a panic inside osmpbf (an overflowing position) and reports the
    // block: only a panic that escapes it is a crash.
    common::install(true);
    if !files::put("x.osm.pbf", data) {
        return;
    }
    let job = &*JOB;
    if let Some(layer) = files::layer(common::run(|| {
        lifecircle::load::load_facilities(&job.facilities)
    })) {
        files::check_facilities(&layer);
    }
});
