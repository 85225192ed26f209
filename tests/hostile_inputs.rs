//! Hostile files for the readers of shapefiles, GeoPackages, CSV tables and `.pbf` extracts:
//! a header is a promise the file may not keep. Each case ends in an error naming the file
//! (and the record, row or block), never a panic, a hang, a huge allocation or a silently
//! shorter layer. The fuzz targets in `fuzz/` search for more; what they find is added to
//! `tests/fuzz_regressions.rs`.
//!
//! The memory check runs the binary under GNU time (`make test-deps` installs it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::copy_shapefile_set;
use lifecircle::load::{load_communities, load_facilities};
use lifecircle::{Config, Job};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A job whose community and facility layers are `path`, with `extra` lines in both tables.
fn job(path: &Path, extra: &str) -> Job {
    let toml = format!(
        "[communities]\npath = {p:?}\n{extra}\n\n[facilities]\npath = {p:?}\n{extra}\n\n\
         [[category]]\nname = \"market\"\nradius_m = 500\n",
        p = path.display().to_string()
    );
    let config = Config::from_toml(&toml, &path.with_extension("toml")).unwrap();
    Job::from_config(&config, path.parent().unwrap()).unwrap()
}

fn communities_error(path: &Path, extra: &str) -> String {
    let job = job(path, extra);
    match load_communities(job.communities.as_ref().unwrap()) {
        Ok(layer) => panic!("read {} communities", layer.features.len()),
        Err(e) => e.to_string(),
    }
}

// ---- shapefiles ----

#[test]
fn a_shp_header_that_says_point_over_polygon_records_names_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let shp = copy_shapefile_set(dir.path(), "communities_gbk");
    for part in [shp.clone(), shp.with_extension("shx")] {
        let mut bytes = std::fs::read(&part).unwrap();
        bytes[32..36].copy_from_slice(&1i32.to_le_bytes());
        std::fs::write(&part, bytes).unwrap();
    }
    let err = communities_error(&shp, "");
    assert!(
        err.ends_with(
            "communities_gbk.shp: record 1: its shape is Polygon but the file's header says Point"
        ),
        "{err}"
    );
}

#[test]
fn a_record_that_counts_more_points_than_it_holds_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shp = copy_shapefile_set(dir.path(), "communities_gbk");
    let mut bytes = std::fs::read(&shp).unwrap();
    // Record 1's content starts at byte 108; its point count at 40 bytes in.
    bytes[108 + 40..108 + 44].copy_from_slice(&i32::MAX.to_le_bytes());
    std::fs::write(&shp, bytes).unwrap();
    let err = communities_error(&shp, "");
    assert!(
        err.contains(
            "communities_gbk.shp: record 1: it counts 2147483647 items but holds room for"
        ),
        "{err}"
    );
}

/// The peak resident memory (MB) and the output of the binary run with `args`.
fn peak_mb(args: &[&str]) -> (f64, std::process::Output) {
    let time = Path::new("/usr/bin/time");
    assert!(
        time.exists(),
        "GNU time is needed for this test: make test-deps installs it (package time)"
    );
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("time");
    let out = Command::new(time)
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(env!("CARGO_BIN_EXE_lifecircle"))
        .args(args)
        .output()
        .unwrap();
    let kib: f64 = std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (kib / 1024.0, out)
}

#[test]
fn a_dbf_declaring_two_billion_records_is_refused_in_little_memory() {
    let dir = tempfile::tempdir().unwrap();
    let shp = copy_shapefile_set(dir.path(), "communities_gbk");
    let dbf = shp.with_extension("dbf");
    let mut bytes = std::fs::read(&dbf).unwrap();
    bytes[4..8].copy_from_slice(&(1u32 << 31).to_le_bytes());
    std::fs::write(&dbf, bytes).unwrap();
    let facilities = root().join("data/teda/facilities.geojson");
    let out_dir = dir.path().join("out");
    let (peak, out) = peak_mb(&[
        "cover",
        "--communities",
        shp.to_str().unwrap(),
        "--facilities",
        facilities.to_str().unwrap(),
        "--category",
        "market",
        "--radius",
        "500",
        "--out",
        out_dir.to_str().unwrap(),
        "--quiet",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("communities_gbk.dbf: the header declares 2147483648 records"),
        "{stderr}"
    );
    assert!(peak < 200.0, "peak {peak:.0} MB");
    assert!(!out_dir.exists(), "nothing written");
}

// ---- GeoPackages ----

/// A GeoPackage with one feature table `table` holding two squares, written with SQLite
/// directly (not with lifecircle's writer).
fn geopackage(path: &Path, table: &str) {
    let db = rusqlite::Connection::open(path).unwrap();
    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
    db.execute_batch(&format!(
        "PRAGMA application_id = 1196444487;
         CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
           organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
           definition TEXT NOT NULL, description TEXT);
         INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, 'undefined', NULL);
         CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
           identifier TEXT, description TEXT, last_change DATETIME, min_x DOUBLE, min_y DOUBLE,
           max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
           geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT, m TINYINT);
         CREATE TABLE {quoted} (fid INTEGER PRIMARY KEY, geom BLOB, id TEXT, population REAL);"
    ))
    .unwrap();
    db.execute(
        "INSERT INTO gpkg_contents VALUES (?1, 'features', ?1, '', '1970-01-01', 117, 39, 117.01, 39.01, 4326)",
        [table],
    )
    .unwrap();
    db.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', 'POLYGON', 4326, 0, 0)",
        [table],
    )
    .unwrap();
    for (fid, x) in [(1, 117.0f64), (2, 117.005)] {
        let ring: [(f64, f64); 5] = [
            (x, 39.0),
            (x + 0.005, 39.0),
            (x + 0.005, 39.005),
            (x, 39.005),
            (x, 39.0),
        ];
        let mut blob = b"GP\x00\x01".to_vec();
        blob.extend_from_slice(&4326i32.to_le_bytes());
        blob.extend_from_slice(&[1, 3, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0]);
        for (x, y) in ring {
            blob.extend_from_slice(&x.to_le_bytes());
            blob.extend_from_slice(&y.to_le_bytes());
        }
        db.execute(
            &format!("INSERT INTO {quoted} VALUES (?1, ?2, ?3, 1000)"),
            rusqlite::params![fid, blob, format!("c{fid}")],
        )
        .unwrap();
    }
}

#[test]
fn a_layer_named_with_a_quote_reads_and_the_file_is_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quoted.gpkg");
    geopackage(&path, "a\"b");
    let before = std::fs::read(&path).unwrap();
    // Read-only on disk too: the reader never asks to write.
    let mut permissions = std::fs::metadata(&path).unwrap().permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&path, permissions).unwrap();
    let job = job(&path, "layer = 'a\"b'");
    let layer = load_communities(job.communities.as_ref().unwrap()).unwrap();
    let ids: Vec<&str> = layer.features.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["c1", "c2"]);
    assert_eq!(load_facilities(&job.facilities).unwrap().features.len(), 2);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file is unchanged"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no journal or WAL beside it");
}

#[test]
fn a_layer_listed_in_gpkg_contents_whose_table_is_gone_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gone.gpkg");
    geopackage(&path, "communities");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("DROP TABLE communities")
        .unwrap();
    let err = communities_error(&path, "");
    assert!(
        err.ends_with(
            "gone.gpkg: gpkg_contents lists layer \"communities\" but the file has no such table"
        ),
        "{err}"
    );
}

/// The error reading `path` as communities after row 2's geometry is set to `blob`.
fn error_with_row_2(path: &Path, blob: &[u8]) -> String {
    let db = rusqlite::Connection::open(path).unwrap();
    db.execute("UPDATE communities SET geom = ?1 WHERE fid = 2", [blob])
        .unwrap();
    drop(db);
    communities_error(path, "")
}

#[test]
fn a_geometry_blob_of_random_bytes_names_the_layer_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("random.gpkg");
    geopackage(&path, "communities");
    // A GP header that promises a 64-byte envelope, then noise.
    let mut blob = b"GP\x00\x09".to_vec();
    blob.extend((0u8..40).map(|i| i.wrapping_mul(37)));
    let at = "random.gpkg: layer \"communities\", row 2:";
    let err = error_with_row_2(&path, &blob);
    assert!(
        err.contains(&format!("{at} the blob is shorter than its header says")),
        "{err}"
    );
    // Bytes with no GP header at all.
    let err = error_with_row_2(&path, b"\x00\xFF\x00\xFF\x00\xFF\x00\xFF\x00\xFF");
    assert!(
        err.contains(&format!("{at} the geometry is not a GeoPackage blob")),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_a_database_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("text.gpkg");
    std::fs::write(&path, "id,name\n1,not a database\n").unwrap();
    let err = communities_error(&path, "");
    assert!(
        err.contains("text.gpkg: not a readable GeoPackage: file is not a database"),
        "{err}"
    );
}

// ---- CSV ----

/// `text` as `shops.csv` in `dir`, read as facilities at its `lon` and `lat` columns.
fn read_shops(dir: &Path, text: &str) -> lifecircle::Result<Vec<String>> {
    let path = dir.join("shops.csv");
    std::fs::write(&path, text).unwrap();
    let layer = load_facilities(&job(&path, "x = \"lon\"\ny = \"lat\"").facilities)?;
    Ok(layer.features.into_iter().map(|f| f.id).collect())
}

#[test]
fn a_csv_table_reads_every_row_and_a_bad_cell_names_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    // A quoted line break inside a cell, a blank line, a UTF-8 byte order mark.
    let ids = read_shops(
        dir.path(),
        "\u{feff}id,name,lon,lat\ns1,\"two\nlines\",117.001,39.001\n\ns2,东海,117.002,39.002\ns3,c,117.003,39.003\n",
    )
    .unwrap();
    assert_eq!(ids, ["s1", "s2", "s3"], "every row, in order");

    // A bad cell below a cell with a line break: its own line, not the row's number + 1.
    let err = read_shops(
        dir.path(),
        "id,name,lon,lat\ns1,\"two\nlines\",117.001,39.001\ns2,b,117.002,39°\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.ends_with("shops.csv: row 2 (line 4), column \"lat\": \"39°\" is not a number"),
        "{err}"
    );

    // A row with a field too many.
    let err = read_shops(
        dir.path(),
        "id,lon,lat\ns1,117.001,39.001\ns2,117.002,39.002,extra\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.ends_with(
            "shops.csv: not a readable CSV table: row 2 (line 3): it has 4 fields where the \
             header has 3"
        ),
        "{err}"
    );
}

// ---- .pbf ----

#[test]
fn a_pbf_cut_inside_a_block_names_that_block() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(root().join("data/helsinki/Helsinki.osm.pbf")).unwrap();
    // The header block is 98 bytes; the first data block starts there. Cut inside it.
    let path = dir.path().join("cut.osm.pbf");
    std::fs::write(&path, &whole[..5_000]).unwrap();
    let toml = format!(
        "[communities]\npath = {:?}\n\n[facilities]\npath = {:?}\n\n[[facilities.rule]]\ncategory = \"market\"\n\
         match = {{ shop = \"*\" }}\n\n[[category]]\nname = \"market\"\nradius_m = 500\n",
        root().join("data/teda/communities.geojson").display().to_string(),
        path.display().to_string()
    );
    let config = Config::from_toml(&toml, &dir.path().join("plan.toml")).unwrap();
    let job = Job::from_config(&config, dir.path()).unwrap();
    let err = load_facilities(&job.facilities).err().unwrap().to_string();
    assert!(
        err.contains("cut.osm.pbf: not a readable OpenStreetMap PBF file: the block at byte 98:"),
        "{err}"
    );
}
