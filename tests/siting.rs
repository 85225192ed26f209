//! Siting on the sample district, against spopt (PySAL) and PuLP/CBC: the covered
//! population of the best K new markets, the fewest markets to reach 95%, and the fewest to
//! bring 东海街 to 95%, each equal to the proven optimum of tests/reference/siting_reference.py
//! (siting_expected.json); every answer re-checked by the coverage engine inside the run.
//! Then the answers to bad requests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use lifecircle::config::SitingConfig;
use lifecircle::siting::SitingResult;
use lifecircle::{analyse, Analysis, Config, Job};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn expected() -> Value {
    let text =
        std::fs::read_to_string(root().join("tests/reference/siting_expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn plan(siting: Vec<SitingConfig>) -> Config {
    let mut config = Config::from_file(&root().join("examples/tianjin-plan.toml")).unwrap();
    config.siting = siting;
    config
}

fn market(add: Option<usize>, target: Option<f64>, group: Option<&str>) -> SitingConfig {
    SitingConfig {
        category: "market".into(),
        candidates: "gaps".into(),
        add,
        target,
        group: group.map(String::from),
        ..SitingConfig::default()
    }
}

fn job(config: &Config) -> lifecircle::Result<Job> {
    Job::from_config(config, &root().join("examples"))
}

fn run(siting: Vec<SitingConfig>) -> Analysis {
    analyse(&job(&plan(siting)).unwrap()).unwrap()
}

fn error(config: &Config) -> String {
    match job(config).and_then(|j| analyse(&j)) {
        Ok(_) => panic!("the run should fail"),
        Err(e) => e.to_string(),
    }
}

fn ids(s: &SitingResult) -> Vec<String> {
    s.added.iter().map(|a| a.id.clone()).collect()
}

#[test]
fn the_best_k_markets_reach_what_cbc_proves_optimal() {
    let reference = expected();
    let sitings: Vec<SitingConfig> = (1..=4).map(|k| market(Some(k), None, None)).collect();
    let analysis = run(sitings);
    for (s, r) in analysis
        .siting
        .iter()
        .zip(reference["mclp"].as_array().unwrap())
    {
        let k = r["k"].as_u64().unwrap() as usize;
        assert_eq!(s.add, Some(k));
        assert_eq!(
            s.population,
            reference["total_population"].as_f64().unwrap()
        );
        assert_eq!(
            s.population_covered_before,
            reference["covered_before"].as_f64().unwrap()
        );
        assert_eq!(
            s.candidates,
            reference["candidates"].as_u64().unwrap() as usize
        );
        assert_eq!(
            s.population_covered_after,
            r["covered"].as_f64().unwrap(),
            "K = {k}: {s:?}"
        );
        assert!(s.upper_bound_population >= s.population_covered_after);
        assert_eq!(s.distance_model, "straight-line circle");
        // Where the optimum is unique, the same sites.
        if r["unique"].as_bool().unwrap() {
            let mut want: Vec<String> = r["sites"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            want.sort();
            let mut got = ids(s);
            got.sort();
            assert_eq!(got, want, "K = {k}");
        }
        // Ranked: each site's people added sum to the gain, coverage rises.
        let added: f64 = s.added.iter().map(|a| a.population_added).sum();
        assert!((s.population_covered_before + added - s.population_covered_after).abs() < 1e-6);
        assert!(s.added.windows(2).all(|w| w[0].coverage <= w[1].coverage));
    }
    // K = 1 is proven here: the bound meets it.
    assert!(
        analysis.siting[0].proven_optimal,
        "{:?}",
        analysis.siting[0]
    );
    // K = 2 covers everyone: nothing can be more.
    assert!(analysis.siting[1].proven_optimal);
    assert_eq!(analysis.siting[1].coverage_after, 1.0);
}

#[test]
fn the_fewest_markets_for_95_percent_overall_and_in_donghai_street() {
    let reference = expected();
    let analysis = run(vec![
        market(None, None, None),
        market(None, Some(0.95), Some("东海街")),
    ]);
    let overall = &analysis.siting[0];
    let r = &reference["fewest_95"];
    assert_eq!(overall.problem, "target");
    assert_eq!(
        overall.target,
        Some(0.95),
        "the category's target by default"
    );
    assert_eq!(overall.added.len(), r["count"].as_u64().unwrap() as usize);
    assert_eq!(
        overall.population_covered_after,
        r["covered"].as_f64().unwrap()
    );
    assert_eq!(ids(overall), vec!["B0387".to_string()]);
    assert!(overall.target_reachable && overall.proven_optimal);

    let street = &analysis.siting[1];
    let r = &reference["group_东海街_95"];
    assert_eq!(street.group.as_deref(), Some("东海街"));
    assert_eq!(street.population, r["total"].as_f64().unwrap());
    assert_eq!(
        street.population_covered_before,
        r["covered_before"].as_f64().unwrap()
    );
    assert_eq!(
        street.population_covered_after,
        r["covered"].as_f64().unwrap()
    );
    assert_eq!(street.added.len(), r["count"].as_u64().unwrap() as usize);
    assert_eq!(ids(street), vec!["B0387".to_string()]);
    assert!(street.coverage_after >= 0.95);
    assert_eq!(street.fewest_possible, Some(1));
}

#[test]
fn a_grid_of_candidates_and_the_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = plan(vec![SitingConfig {
        candidates: "grid:100".into(),
        ..market(Some(2), None, None)
    }]);
    config.output.dir = Some(dir.path().to_path_buf());
    let j = job(&config).unwrap();
    let (analysis, _) = lifecircle::run(&j).unwrap();
    let s = &analysis.siting[0];
    assert_eq!(s.added.len(), 2);
    assert!(s.candidates > 100, "{}", s.candidates);
    assert!(s.added.iter().all(|a| a.id.starts_with("grid-")));
    assert!(s.population_covered_after > s.population_covered_before);

    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    let entry = &summary["siting"][0];
    assert_eq!(entry["category"], "market");
    assert_eq!(entry["problem"], "add");
    assert_eq!(entry["added"].as_array().unwrap().len(), 2);
    for key in [
        "coverage_before",
        "coverage_after",
        "population_covered_before",
        "population_covered_after",
        "upper_bound_population",
        "gap",
        "proven_optimal",
        "target_reachable",
    ] {
        assert!(entry.get(key).is_some(), "{key} missing");
    }
    let sites: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("sites_market.geojson")).unwrap(),
    )
    .unwrap();
    let features = sites["features"].as_array().unwrap();
    assert_eq!(features.len(), 2);
    assert_eq!(features[0]["properties"]["rank"], 1);
    assert!(dir.path().join("sites_market.qml").exists());
    let report = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(report.contains("Where to add market"), "no siting section");
    let svg = std::fs::read_to_string(dir.path().join("maps/market.svg")).unwrap();
    assert!(svg.contains("id=\"proposed-sites\""));
}

#[test]
fn a_target_already_met_says_there_is_nothing_to_add() {
    let analysis = run(vec![market(None, Some(0.5), None)]);
    let s = &analysis.siting[0];
    assert!(s.added.is_empty());
    assert!(
        s.note
            .starts_with("nothing to add: coverage is already 85.2%"),
        "{}",
        s.note
    );
}

#[test]
fn a_target_the_candidates_cannot_reach_is_said_plainly() {
    // Two candidate lots: one on a community's corner, one far outside the district.
    let dir = tempfile::tempdir().unwrap();
    let lots = dir.path().join("lots.geojson");
    std::fs::write(
        &lots,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"L1"},"geometry":{"type":"Point","coordinates":[117.6952,39.0512]}},
{"type":"Feature","properties":{"id":"L2"},"geometry":{"type":"Point","coordinates":[118.5,39.5]}}]}"#,
    )
    .unwrap();
    let analysis = run(vec![SitingConfig {
        candidates: lots.display().to_string(),
        ..market(None, Some(1.0), None)
    }]);
    let s = &analysis.siting[0];
    assert!(!s.target_reachable);
    assert!(s.candidates_outside >= 1, "{s:?}");
    assert!(
        s.note.contains("cannot be reached with these candidates"),
        "{}",
        s.note
    );
    assert!(analysis
        .warnings
        .iter()
        .any(|w| w.to_string().starts_with("siting market: ")
            && w.to_string().contains("outside the study area")));
}

#[test]
fn bad_sitings_are_refused_with_what_is_wrong() {
    let err = error(&plan(vec![market(Some(0), None, None)]));
    assert!(
        err.contains("add is 0: ask for at least one new site"),
        "{err}"
    );

    let err = error(&plan(vec![SitingConfig {
        category: "bakery".into(),
        ..market(Some(1), None, None)
    }]));
    assert!(
        err.contains("names no configured category; the categories are market"),
        "{err}"
    );

    let err = error(&plan(vec![market(Some(1), None, Some("西城街"))]));
    assert!(err.contains("no group \"西城街\"; the groups are"), "{err}");

    let err = error(&plan(vec![SitingConfig {
        category: "fitness".into(),
        ..market(Some(1), None, None)
    }]));
    assert!(err.contains("the category's basis is communities"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let twice = dir.path().join("twice.geojson");
    std::fs::write(
        &twice,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"L1"},"geometry":{"type":"Point","coordinates":[117.70,39.05]}},
{"type":"Feature","properties":{"id":"L1"},"geometry":{"type":"Point","coordinates":[117.71,39.05]}}]}"#,
    )
    .unwrap();
    let err = error(&plan(vec![SitingConfig {
        candidates: twice.display().to_string(),
        ..market(Some(1), None, None)
    }]));
    assert!(
        err.contains("candidate id \"L1\" is used twice (features 0 and 1)"),
        "{err}"
    );

    let empty = dir.path().join("empty.geojson");
    std::fs::write(&empty, r#"{"type":"FeatureCollection","features":[]}"#).unwrap();
    let err = error(&plan(vec![SitingConfig {
        candidates: empty.display().to_string(),
        ..market(Some(1), None, None)
    }]));
    assert!(err.contains("there is nowhere to add a facility"), "{err}");
}
