//! Wide study areas and tiles: places in several UTM zones measured each in its own
//! (against pyproj's geodesics), and `run --tile K/N` + `merge` equal to one run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lifecircle::{analyse, Analysis, Config, Job};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/three-cities").join(name)
}

fn lifecircle(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lifecircle"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The three cities of the issue: Urumqi (87.6°E), Chengdu (104.5°E), Shanghai (121.5°E),
/// each a 400 m square with a market 1,011 m (geodesic) from its centre; `extra` is more
/// TOML.
fn three_cities_job(extra: &str, communities: &Path, markets: &Path) -> Job {
    let toml = format!(
        r#"
        [communities]
        path = "{}"
        [facilities]
        path = "{}"
        [[category]]
        name = "market"
        radius_m = 1000
        [curve]
        from_m = 900
        to_m = 1100
        step_m = 100
        {extra}
        "#,
        communities.display(),
        markets.display()
    );
    let config = Config::from_toml(&toml, Path::new("test.toml")).unwrap();
    Job::from_config(&config, Path::new(".")).unwrap()
}

fn three_cities(extra: &str, communities: &Path, markets: &Path) -> Analysis {
    analyse(&three_cities_job(extra, communities, markets)).unwrap()
}

fn expected() -> Value {
    let text =
        std::fs::read_to_string(root().join("tests/reference/three_cities_expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn three_cities_are_each_measured_in_their_own_zone() {
    let a = three_cities(
        "",
        &fixture("communities.geojson"),
        &fixture("markets.geojson"),
    );
    let zones: Vec<String> = a.tiles.zones.iter().map(|z| z.to_string()).collect();
    assert_eq!(zones, ["EPSG:32645", "EPSG:32648", "EPSG:32651"]);
    let reference = &expected()["communities"];
    let market = &a.categories[0];
    for (c, row) in a.communities.iter().zip(&market.communities) {
        let want = &reference[c.id.as_str()];
        let geodesic = want["nearest_m"].as_f64().unwrap();
        let got = row.nearest_m.unwrap();
        // Every nearest distance within 0.1 % of the geodesic (UTM's scale error in a zone).
        assert!(
            (got - geodesic).abs() / geodesic < 0.001,
            "{}: {got} m, geodesic {geodesic} m",
            c.id
        );
        // The share within 1,000 m lies between the geodesic shares at 1,000 m ± 0.1 %:
        // the circle's radius is off by at most the scale error, and the share grows by
        // (share_1100 - share_900) / 200 m per metre.
        let slope =
            (want["share_1100"].as_f64().unwrap() - want["share_900"].as_f64().unwrap()) / 200.0;
        let share = want["share_1000"].as_f64().unwrap();
        assert!(
            (row.share - share).abs() <= slope * 1.0 + 1e-6,
            "{}: share {} against {share}",
            c.id,
            row.share
        );
    }
    // The study's figures are the sums of the three.
    let people: f64 = market
        .communities
        .iter()
        .map(|c| c.population_covered.unwrap())
        .sum();
    let s = &market.summary;
    assert!((s.population_covered.unwrap() - people).abs() < 1e-9);
    assert_eq!(s.facilities, 3);
    // The curve at 1,000 m is the run at 1,000 m.
    assert!((s.curve[1][1] - s.coverage).abs() < 1e-4, "{:?}", s.curve);
}

#[test]
fn one_zone_for_three_cities_is_what_went_wrong() {
    // Forced into the centre's zone, as every run was before: Urumqi 2.4 % and Shanghai
    // 3.1 % too far, as pyproj says of that projection.
    let a = three_cities(
        "[analysis]\nwork_crs = \"EPSG:32648\"",
        &fixture("communities.geojson"),
        &fixture("markets.geojson"),
    );
    let reference = &expected()["communities"];
    for (c, row) in a.communities.iter().zip(&a.categories[0].communities) {
        let single = reference[c.id.as_str()]["single_zone_m"].as_f64().unwrap();
        assert!(
            (row.nearest_m.unwrap() - single).abs() < 0.1,
            "{}: {:?} against {single}",
            c.id,
            row.nearest_m
        );
    }
    assert_eq!(a.tiles.zones.len(), 1);
}

#[test]
fn two_zones_equal_each_zone_measured_on_its_own() {
    // Urumqi and Shanghai in one run, and each alone (one zone each, the run as it always
    // was): the same per-community figures, and the sums add up.
    let case = common::Case::new();
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
    };
    let (communities, markets) = (read("communities.geojson"), read("markets.geojson"));
    let only = |doc: &Value, keep: &dyn Fn(&str) -> bool| -> Value {
        let mut doc = doc.clone();
        let features = doc["features"].as_array_mut().unwrap();
        features.retain(|f| keep(f["properties"]["id"].as_str().unwrap()));
        doc
    };
    let cities = ["urumqi", "shanghai"];
    let both = three_cities(
        "",
        &case.write("c.geojson", &only(&communities, &|id| cities.contains(&id))),
        &case.write(
            "m.geojson",
            &only(&markets, &|id| cities.iter().any(|c| id.ends_with(c))),
        ),
    );
    assert_eq!(both.tiles.zones.len(), 2);
    let mut covered = 0.0;
    for city in cities {
        let alone = three_cities(
            "",
            &case.write(
                &format!("c-{city}.geojson"),
                &only(&communities, &|id| id == city),
            ),
            &case.write(
                &format!("m-{city}.geojson"),
                &only(&markets, &|id| id.ends_with(city)),
            ),
        );
        assert_eq!(alone.tiles.zones.len(), 1);
        let k = both.communities.iter().position(|c| c.id == city).unwrap();
        let (x, y) = (
            &both.categories[0].communities[k],
            &alone.categories[0].communities[0],
        );
        assert!((x.share - y.share).abs() < 1e-12, "{city}");
        assert!((x.nearest_m.unwrap() - y.nearest_m.unwrap()).abs() < 1e-9);
        covered += alone.categories[0].summary.population_covered.unwrap();
        let gaps = |a: &Analysis| a.categories[0].gaps.len();
        assert_eq!(gaps(&alone), 1);
        assert_eq!(gaps(&both), 2);
    }
    let s = &both.categories[0].summary;
    assert!((s.population_covered.unwrap() - covered).abs() < 1e-9);
}

/// Every number of two summary.json documents agrees to `tol` (relative above 1); every
/// other value is equal.
fn assert_same_figures(a: &Value, b: &Value, path: &str, tol: f64) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => assert_same_figures(u, v, &format!("{path}.{k}"), tol),
                    _ => panic!("{path}.{k} is in one summary only"),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}: lengths differ");
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                assert_same_figures(u, v, &format!("{path}[{i}]"), tol);
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= tol * x.abs().max(1.0),
                "{path}: {x} against {y}"
            );
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// Runs `config` whole and as N tiles merged, and checks every figure agrees.
fn tiled_equals_untiled(config: &Path, ns: &[usize], extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let config = config.to_str().unwrap();
    let whole = dir.path().join("whole");
    let mut args = vec!["run", config, "--out", whole.to_str().unwrap(), "-q"];
    args.extend(extra);
    ok(lifecircle(&args, dir.path()));
    for &n in ns {
        let parts = dir.path().join(format!("parts-{n}"));
        for k in 1..=n {
            let tile = format!("{k}/{n}");
            let out = parts.join(k.to_string());
            let mut args = vec![
                "run",
                config,
                "--tile",
                &tile,
                "--out",
                out.to_str().unwrap(),
            ];
            args.push("-q");
            args.extend(extra);
            ok(lifecircle(&args, dir.path()));
        }
        let merged = dir.path().join(format!("merged-{n}"));
        let mut args = vec!["merge", "--out", merged.to_str().unwrap(), "-q"];
        let part_dirs: Vec<String> = (1..=n)
            .map(|k| parts.join(k.to_string()).display().to_string())
            .collect();
        args.extend(part_dirs.iter().map(String::as_str));
        ok(lifecircle(&args, dir.path()));
        assert_same_figures(&summary(&whole), &summary(&merged), &format!("N={n}"), 1e-9);
    }
}

#[test]
fn tiles_merged_equal_one_run_of_the_sample_district() {
    // Communities, demand points, groups, levels, indicators and the curve.
    tiled_equals_untiled(
        &root().join("examples/tianjin-plan.toml"),
        &[1, 2, 4, 7],
        &["--no-maps", "--no-report", "--no-gpkg"],
    );
}

#[test]
fn tiles_merged_equal_one_run_along_streets() {
    // São Paulo's schools along the street network, with the circles beside.
    tiled_equals_untiled(
        &root().join("examples/sao-paulo-walk.toml"),
        &[3],
        &["--no-maps", "--no-report", "--no-gpkg", "--no-layers"],
    );
}

#[test]
fn tiles_merged_equal_one_run_with_demand_polygons() {
    // Helsinki's population grid split over its districts by area: a grid cell across two
    // tiles' districts is read by both, its people counted once.
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("data/helsinki");
    let plan = format!(
        r#"
        [communities]
        path = "{}"
        id = "osm_id"
        [demand]
        path = "{}"
        weight = "population"
        kind = "polygons"
        [facilities]
        path = "{}"
        category = "category"
        [[category]]
        name = "market"
        radius_m = 500
        [[category]]
        name = "health"
        radius_m = 1000
        "#,
        data.join("helsinki_osm_areas.geojson").display(),
        data.join("helsinki_population_grid_2020.geojson").display(),
        data.join("helsinki_osm_facilities.geojson").display(),
    );
    let path = dir.path().join("plan.toml");
    std::fs::write(&path, plan).unwrap();
    tiled_equals_untiled(&path, &[2, 5], &["--no-maps", "--no-report", "--no-gpkg"]);
}

#[test]
fn the_local_loop_stands_in_for_a_job_array() {
    // examples/cluster/run-local.sh: N tiles one after another, then the merge.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let status = Command::new("bash")
        .arg(root().join("examples/cluster/run-local.sh"))
        .args([
            root().join("examples/tianjin-plan.toml").to_str().unwrap(),
            "3",
            out.to_str().unwrap(),
        ])
        .env("LIFECIRCLE", env!("CARGO_BIN_EXE_lifecircle"))
        .env("LIFECIRCLE_FLAGS", "-q --no-maps --no-report --no-gpkg")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let whole = dir.path().join("whole");
    ok(lifecircle(
        &[
            "run",
            root().join("examples/tianjin-plan.toml").to_str().unwrap(),
            "--out",
            whole.to_str().unwrap(),
            "-q",
            "--no-maps",
            "--no-report",
            "--no-gpkg",
        ],
        dir.path(),
    ));
    assert_same_figures(&summary(&whole), &summary(&out), "loop", 1e-9);
}

#[test]
fn the_slurm_and_kubernetes_examples_run_as_written() {
    // The Slurm array tasks as a loop setting SLURM_ARRAY_TASK_ID; the Kubernetes pods as
    // a loop setting JOB_COMPLETION_INDEX and running the manifest's own command.
    let dir = tempfile::tempdir().unwrap();
    let plan = root().join("examples/tianjin-plan.toml");
    let cluster = root().join("examples/cluster");
    let flags = "-q --no-maps --no-report --no-gpkg";
    let parts = dir.path().join("slurm-parts");
    for k in 1..=3 {
        let out = Command::new("bash")
            .arg(cluster.join("slurm-tiles.sbatch"))
            .env("CONFIG", &plan)
            .env("PARTS", &parts)
            .env("TILES", "3")
            .env("SLURM_ARRAY_TASK_ID", k.to_string())
            .env("LIFECIRCLE", env!("CARGO_BIN_EXE_lifecircle"))
            .env("LIFECIRCLE_FLAGS", flags)
            .output()
            .unwrap();
        ok(out);
    }
    let slurm = dir.path().join("slurm-out");
    ok(Command::new("bash")
        .arg(cluster.join("slurm-merge.sbatch"))
        .env("PARTS", &parts)
        .env("OUT", &slurm)
        .env("LIFECIRCLE", env!("CARGO_BIN_EXE_lifecircle"))
        .env("LIFECIRCLE_FLAGS", flags)
        .output()
        .unwrap());

    // The manifest's container command: the folded block after `args:`.
    let manifest = std::fs::read_to_string(cluster.join("kubernetes-tiles.yaml")).unwrap();
    assert!(manifest.contains("completionMode: Indexed"));
    let lines: Vec<&str> = manifest.lines().collect();
    let at = lines.iter().position(|l| l.trim() == "- >-").unwrap();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let script: Vec<&str> = lines[at + 1..]
        .iter()
        .take_while(|l| indent(l) > indent(lines[at]))
        .map(|l| l.trim())
        .collect();
    let study = dir.path().join("study");
    let script = script
        .join(" ")
        .replace("/study/plan.toml", plan.to_str().unwrap())
        .replace("/study", study.to_str().unwrap())
        .replace("exec lifecircle", env!("CARGO_BIN_EXE_lifecircle"))
        + " "
        + flags;
    for index in 0..3 {
        ok(Command::new("sh")
            .args(["-c", &script])
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .env("TILES", "3")
            .output()
            .unwrap());
    }
    let k8s = dir.path().join("k8s-out");
    let parts: Vec<PathBuf> = (1..=3).map(|k| study.join(format!("parts/{k}"))).collect();
    let mut args = vec![
        "merge".to_string(),
        "--out".into(),
        k8s.display().to_string(),
    ];
    args.extend(parts.iter().map(|p| p.display().to_string()));
    args.extend(flags.split(' ').map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(lifecircle(&args, dir.path()));
    assert_same_figures(
        &summary(&slurm),
        &summary(&k8s),
        "slurm vs kubernetes",
        1e-12,
    );
    let whole = dir.path().join("whole");
    let mut args = vec![
        "run",
        plan.to_str().unwrap(),
        "--out",
        whole.to_str().unwrap(),
    ];
    args.extend(flags.split(' '));
    ok(lifecircle(&args, dir.path()));
    assert_same_figures(&summary(&whole), &summary(&slurm), "slurm", 1e-9);
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_tiles_and_bad_merges_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let plan = root().join("examples/tianjin-plan.toml");
    let plan = plan.to_str().unwrap();
    let run = |tile: &str, out: &str, extra: &[&str]| {
        let mut args = vec!["run", plan, "--tile", tile, "--out", out, "-q", "--no-maps"];
        args.extend(extra);
        lifecircle(&args, dir.path())
    };
    // K out of range, K = 0, not K/N.
    for (tile, says) in [
        ("5/4", "K counts tiles from 1 to N (here 1 to 4)"),
        ("0/4", "K counts tiles from 1 to N"),
        ("3", "give the tile as K/N"),
        ("1/0", "N, the number of tiles, must be at least 1"),
    ] {
        let out = run(tile, "x", &[]);
        assert_eq!(out.status.code(), Some(2), "{tile}");
        assert!(stderr(&out).contains(says), "{tile}: {}", stderr(&out));
    }
    ok(run("1/2", "a/1", &[]));
    ok(run("2/2", "a/2", &[]));
    ok(run("1/3", "b/1", &[]));
    ok(run("2/2", "c/2", &["--lang", "zh"]));
    let merge = |parts: &[&str]| {
        let mut args = vec!["merge", "--out", "merged", "-q", "--no-maps"];
        args.extend(parts);
        lifecircle(&args, dir.path())
    };
    // A missing part: refused, never a partial merge.
    let out = merge(&["a/1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "tile 2 of 2 is missing: a merge needs every tile, it never merges part of a study"
        ),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("merged").exists());
    // Parts of different splits.
    let out = merge(&["a/1", "b/1"]);
    assert!(
        stderr(&out).contains("part-1-of-3.json: tile 1 of 3, but")
            && stderr(&out).contains("is a tile of 2"),
        "{}",
        stderr(&out)
    );
    // Parts of different configurations.
    let out = merge(&["a/1", "c/2"]);
    assert!(
        stderr(&out).contains("part-2-of-2.json: its configuration differs from that of"),
        "{}",
        stderr(&out)
    );
    // The same tile twice.
    let out = merge(&["a/1", "a/1/part-1-of-2.json"]);
    assert!(
        stderr(&out).contains("tile 1 of 2 is also"),
        "{}",
        stderr(&out)
    );
    // Not a part.
    std::fs::write(dir.path().join("junk.json"), "{\"format\": 1}").unwrap();
    let out = merge(&["junk.json"]);
    assert!(
        stderr(&out).contains("junk.json: not a lifecircle partial result"),
        "{}",
        stderr(&out)
    );
    // A folder without parts.
    std::fs::create_dir_all(dir.path().join("empty")).unwrap();
    let out = merge(&["empty"]);
    assert!(
        stderr(&out).contains("holds no part-K-of-N.json"),
        "{}",
        stderr(&out)
    );
    // The two good parts merge.
    ok(merge(&["a/1", "a/2"]));
}

#[test]
fn siting_across_zones_is_refused_with_a_way_out() {
    let job = three_cities_job(
        "[[siting]]\ncategory = \"market\"\ncandidates = \"gaps\"\nadd = 1",
        &fixture("communities.geojson"),
        &fixture("markets.geojson"),
    );
    let err = analyse(&job).unwrap_err().to_string();
    assert!(
        err.contains("measured in tiles (EPSG:32645, EPSG:32648 and EPSG:32651)")
            && err.contains("set [analysis] work_crs"),
        "{err}"
    );
}
