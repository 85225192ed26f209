//! Arbitrary bytes through the whole analysis: load, project, measure, summarise.
//!
//! The bytes are written to a file that is both the community layer and the facility layer
//! (polygons are reached at a point inside them, so every community is also a facility; a
//! rule with no match gives every facility the one category measured). `lifecircle::analyse`
//! must never panic: it returns `Ok` or an error. `LIFECIRCLE_FUZZ_VERBOSE=1` prints each
//! outcome (to see how far inputs get, e.g. over the seed corpus with `-runs=0`).
//!
//! The pipeline itself catches panics from inside the geometry library (geo's boolean
//! operations) and turns them into `Error::Geometry`; libfuzzer-sys's panic hook would abort
//! on those before they are caught, so this target replaces the hook: a panic that
//! `analyse` catches is allowed (its location is printed once), one that escapes `analyse`
//! aborts, as a crash, unless it is one of the reported ones in `common::KNOWN`.
#![no_main]

mod common;

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifecircle::{Config, Job};

struct Setup {
    file: PathBuf,
    job: Job,
}

static SETUP: LazyLock<Setup> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("lifecircle-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("layer.geojson");
    let toml = format!(
        r#"
[communities]
path = "{file}"

[facilities]
path = "{file}"

[[facilities.rule]]
category = "market"

[[category]]
name = "market"
radius_m = 500
target = 0.9
"#,
        file = file.display()
    );
    let config = Config::from_toml(&toml, Path::new("fuzz.toml")).expect("fixed config parses");
    let job = Job::from_config(&config, &dir).expect("fixed config is a valid job");
    Setup { file, job }
});

fuzz_target!(|data: &[u8]| {
    common::install(true);
    let setup = &*SETUP;
    if std::fs::write(&setup.file, data).is_err() {
        return;
    }
    match common::run(|| lifecircle::analyse(&setup.job)) {
        Err(p) => common::escaped(&p),
        Ok(outcome) => {
            if let Some(p) = common::last() {
                common::caught(&p);
            }
            if std::env::var_os("LIFECIRCLE_FUZZ_VERBOSE").is_some() {
                match &outcome {
                    Ok(a) => eprintln!(
                        "[lifecircle-fuzz] Ok: {} communities, {} categories",
                        a.communities.len(),
                        a.categories.len()
                    ),
                    Err(e) => eprintln!("[lifecircle-fuzz] Err: {e}"),
                }
            }
            if let Ok(analysis) = outcome {
                check(&analysis);
            }
        }
    }
});

fn check(analysis: &lifecircle::Analysis) {
    for c in &analysis.categories {
        assert_eq!(c.communities.len(), analysis.communities.len());
        for cov in &c.communities {
            assert!(
                (0.0..=1.0 + 1e-9).contains(&cov.share),
                "covered share {}",
                cov.share
            );
        }
    }
}
