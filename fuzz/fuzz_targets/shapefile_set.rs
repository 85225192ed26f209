//! Arbitrary bytes as a shapefile set: the first four bytes give the lengths of the `.shp`
//! and the `.shx` (two little-endian u16), the rest is the `.shp`, the `.shx` and the
//! `.dbf` in turn. The set is read as communities and as facilities.
//!
//! Must hold: no panic (and no allocation beyond the files' sizes: libFuzzer's RSS limit).
//! On `Ok`, the layer holds every record the `.shx` indexes, less the deleted ones it
//! reports (`LayerNote::DeletedRecords`): nothing is silently dropped; and the layer is what
//! the pipeline relies on (ids, boundaries, finite sites, increasing indices).
#![no_main]

mod common;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifecircle::Job;

use common::files;

static JOB: LazyLock<Job> = LazyLock::new(|| files::job("set.shp", "set.shp", ""));

fuzz_target!(|data: &[u8]| {
    common::install(false);
    if data.len() < 4 {
        return;
    }
    let shp_len = u16::from_le_bytes([data[0], data[1]]) as usize;
    let shx_len = u16::from_le_bytes([data[2], data[3]]) as usize;
    let rest = &data[4..];
    let shp = &rest[..shp_len.min(rest.len())];
    let rest = &rest[shp.len()..];
    let shx = &rest[..shx_len.min(rest.len())];
    let dbf = &rest[shx.len()..];
    if !(files::put("set.shp", shp) && files::put("set.shx", shx) && files::put("set.dbf", dbf)) {
        return;
    }
    // Records the index holds: every 8 bytes after its 100-byte header.
    let indexed = shx.len().saturating_sub(100) / 8;
    let job = &*JOB;
    let spec = job.communities.as_ref().expect("communities");
    if let Some(layer) = files::layer(common::run(|| lifecircle::load::load_communities(spec))) {
        let skipped = files::deleted(layer.note.as_ref());
        assert_eq!(
            layer.features.len() + skipped,
            indexed,
            "communities read plus deleted records, against the records indexed"
        );
        files::check_communities(&layer);
    }
    if let Some(layer) = files::layer(common::run(|| {
        lifecircle::load::load_facilities(&job.facilities)
    })) {
        let skipped = files::deleted(layer.note.as_ref());
        assert_eq!(layer.features.len() + skipped, indexed);
        files::check_facilities(&layer);
    }
});
