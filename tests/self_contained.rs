//! A clone of the repository passes its own tests: nothing the tests, examples, benchmarks
//! or the library read may live outside the repository, in particular not in the project's
//! `shared` data folder that sits beside the checkout only on the project's own machines.
//! The real data sets the tests use are copied into `data/` with their licences
//! (see data/README.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

/// Every file under `dir`, recursively.
fn files_under(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, found);
        } else {
            found.push(path);
        }
    }
}

/// The lines of text files under the repository's source folders that name `needle`, as
/// "path:line".
fn lines_naming(needle: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "tests", "examples", "benches", "fuzz", "data"] {
        let dir = root.join(dir);
        if dir.is_dir() {
            files_under(&dir, &mut files);
        }
    }
    for file in ["Makefile", "README.md", "Cargo.toml"] {
        files.push(root.join(file));
    }
    files.sort();
    let mut hits = Vec::new();
    for file in files {
        // Binary files (.pbf) are not read as text.
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            if line.contains(needle) {
                let rel = file.strip_prefix(root).unwrap_or(&file);
                hits.push(format!("{}:{}", rel.display(), n + 1));
            }
        }
    }
    hits
}

#[test]
fn nothing_reads_the_shared_folder_beside_the_checkout() {
    // Built from parts so that this file does not name it itself.
    let needle = ["..", "shared"].join("/");
    let hits = lines_naming(&needle);
    assert!(
        hits.is_empty(),
        "these lines name {needle}, which a clone of the repository does not have; copy the \
         file into data/ (with its licence in data/README.md) and read it from there:\n{}",
        hits.join("\n")
    );
}

#[test]
fn the_check_finds_what_it_looks_for() {
    // The same scan finds a string that is known to be there, so an empty answer above
    // means "not named", not "not read".
    let hits = lines_naming("helsinki_population_grid_2020.geojson");
    assert!(
        hits.iter()
            .any(|h| h.starts_with("tests/helsinki_demand.rs:")),
        "{hits:?}"
    );
}

#[test]
fn the_data_sets_the_tests_read_are_in_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    for file in [
        "sao-paulo/spo_hexgrid_4326.geojson",
        "sao-paulo/spo_school_points_from_hexgrid.geojson",
        "sao-paulo/spo_osm_walk_network.geojson",
        "sao-paulo/spo_osm.pbf",
        "helsinki/helsinki_population_grid_2020.geojson",
        "helsinki/helsinki_osm_walk_network.geojson",
        "helsinki/Helsinki.osm.pbf",
    ] {
        let path = root.join(file);
        let size = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .len();
        assert!(size > 0, "{} is empty", path.display());
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let name = Path::new(file).file_name().unwrap().to_str().unwrap();
        assert!(
            readme.contains(name),
            "data/README.md does not name {name}: every copied file says its source and licence"
        );
    }
}

/// Every example configuration is a valid job whose input files are in the repository.
#[test]
fn every_example_reads_files_in_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    examples.sort();
    assert!(examples.len() >= 4, "{examples:?}");
    for path in examples {
        let config = lifecircle::Config::from_file(&path).unwrap();
        let job = lifecircle::Job::from_config(&config, path.parent().unwrap()).unwrap();
        let inputs = job
            .communities
            .iter()
            .map(|c| c.path.clone())
            .chain(job.demand.iter().map(|d| d.path.clone()))
            .chain(job.network.iter().map(|n| n.path.clone()))
            .chain([job.facilities.path.clone()]);
        for input in inputs {
            let canonical = input
                .canonicalize()
                .unwrap_or_else(|e| panic!("{}: {}: {e}", path.display(), input.display()));
            assert!(
                canonical.starts_with(root.canonicalize().unwrap()),
                "{}: {} is outside the repository",
                path.display(),
                input.display()
            );
        }
    }
}
