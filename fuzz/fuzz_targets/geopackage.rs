//! Arbitrary bytes as a GeoPackage (an SQLite file), read as communities and facilities.
//!
//! Must hold: no panic, no hang. On `Ok`, the layer holds one feature per row of its table
//! (counted here with SQLite itself, on a file `PRAGMA integrity_check` finds sound): nothing
//! is silently dropped; and the layer is what the pipeline relies on.
#![no_main]

mod common;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifecircle::Job;

use common::files;

static JOB: LazyLock<Job> = LazyLock::new(|| files::job("layer.gpkg", "layer.gpkg", ""));

/// Rows of the one feature table, counted independently of the reader; none when SQLite
/// cannot count them or finds the file corrupt.
fn rows() -> Option<usize> {
    let db = rusqlite::Connection::open_with_flags(
        files::DIR.join("layer.gpkg"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .ok()?;
    // A file SQLite finds corrupt may answer one query from an index and another from the
    // table, differently: the count is only compared on a sound file.
    let sound: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .ok()?;
    if sound != "ok" {
        return None;
    }
    let table: String = db
        .query_row(
            "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'",
            [],
            |r| r.get(0),
        )
        .ok()?;
    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
    db.query_row(&format!("SELECT count(*) FROM {quoted}"), [], |r| {
        r.get::<_, i64>(0)
    })
    .ok()
    .map(|n| n as usize)
}

fuzz_target!(|data: &[u8]| {
    common::install(false);
    if !files::put("layer.gpkg", data) {
        return;
    }
    let job = &*JOB;
    let spec = job.communities.as_ref().expect("communities");
    if let Some(layer) = files::layer(common::run(|| lifecircle::load::load_communities(spec))) {
        if let Some(rows) = rows() {
            assert_eq!(layer.features.len(), rows, "communities against rows");
        }
        files::check_communities(&layer);
    }
    if let Some(layer) = files::layer(common::run(|| {
        lifecircle::load::load_facilities(&job.facilities)
    })) {
        if let Some(rows) = rows() {
            assert_eq!(layer.features.len(), rows, "facilities against rows");
        }
        files::check_facilities(&layer);
    }
});
