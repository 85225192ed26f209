//! A GeoPackage layer's spatial index, written packed: the boxes sorted into full nodes
//! (Sort-Tile-Recursive) and stored straight into the three tables behind SQLite's `rtree`
//! module (`<name>_node`, `<name>_parent`, `<name>_rowid`), as GDAL does for large layers.
//!
//! Inserting one row at a time into an `rtree` costs about 12 µs a row in SQLite (its R*-tree
//! splits and reinserts); packing costs a sort. The tree is a valid R-tree that SQLite keeps
//! editing (QGIS edits go through the triggers): checked with SQLite's own `rtreecheck()`.
//!
//! The node format is SQLite's (`ext/rtree/rtree.c`): a node is a blob of the table's node
//! size; two big-endian bytes of depth (root only, zero elsewhere), two of cell count, then
//! cells of an 8-byte big-endian id (a row id in leaves, a node number above) and the box as
//! four big-endian 32-bit floats, min x, max x, min y, max y, rounded outwards. The root is
//! node 1.

use rusqlite::{params, Connection};

/// One box of the index: a feature's id and its bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    /// The feature's id (the table's `fid`).
    pub id: i64,
    /// Its bounds: min x, max x, min y, max y.
    pub bounds: [f64; 4],
}

/// Bytes of a node's header: depth, then cell count.
const HEADER: usize = 4;
/// Bytes of a cell of a 2-dimensional tree: the id and four 32-bit coordinates.
const CELL: usize = 8 + 4 * 4;

/// Fills the empty `rtree` virtual table `rtree` with `entries`, packed (inside the caller's
/// transaction, if any).
pub fn write_packed(db: &Connection, rtree: &str, mut entries: Vec<Entry>) -> rusqlite::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let table = |suffix: &str| crate::output::gpkg::ident(&format!("{rtree}_{suffix}"));
    // SQLite chose the node size when it made the table (the empty root holds it).
    let node_bytes: usize = db.query_row(
        &format!(
            "SELECT length(data) FROM {} WHERE nodeno = 1",
            table("node")
        ),
        [],
        |r| r.get(0),
    )?;
    let fanout = (node_bytes - HEADER) / CELL;
    entries.sort_by_key(|e| e.id);
    let levels = pack(&entries, fanout);
    let depth = levels.len() - 1;
    // Node numbers: the root is 1, then level by level downwards.
    let mut first_number = vec![0usize; levels.len()];
    let mut next = 1;
    for level in (0..levels.len()).rev() {
        first_number[level] = next;
        next += levels[level].len();
    }
    db.execute(&format!("DELETE FROM {}", table("node")), [])?;
    let mut node = db.prepare(&format!(
        "INSERT INTO {} (nodeno, data) VALUES (?1, ?2)",
        table("node")
    ))?;
    let mut parent = db.prepare(&format!(
        "INSERT INTO {} (nodeno, parentnode) VALUES (?1, ?2)",
        table("parent")
    ))?;
    let mut rowid = db.prepare(&format!(
        "INSERT INTO {} (rowid, nodeno) VALUES (?1, ?2)",
        table("rowid")
    ))?;
    for (level, nodes) in levels.iter().enumerate() {
        for (i, cells) in nodes.iter().enumerate() {
            let number = (first_number[level] + i) as i64;
            let mut data = vec![0u8; node_bytes];
            if level == depth {
                data[..2].copy_from_slice(&(depth as u16).to_be_bytes());
            }
            data[2..4].copy_from_slice(&(cells.len() as u16).to_be_bytes());
            for (k, cell) in cells.iter().enumerate() {
                let at = HEADER + k * CELL;
                let id = if level == 0 {
                    cell.id
                } else {
                    (first_number[level - 1] + cell.id as usize) as i64
                };
                data[at..at + 8].copy_from_slice(&id.to_be_bytes());
                let [min_x, max_x, min_y, max_y] = cell.bounds;
                let coords = [down(min_x), up(max_x), down(min_y), up(max_y)];
                for (j, c) in coords.iter().enumerate() {
                    data[at + 8 + 4 * j..at + 12 + 4 * j].copy_from_slice(&c.to_be_bytes());
                }
                if level == 0 {
                    rowid.execute(params![id, number])?;
                } else {
                    parent.execute(params![id, number])?;
                }
            }
            node.execute(params![number, data])?;
        }
    }
    Ok(())
}

/// The tree's nodes, leaves first: each node its cells (in leaves the entries; above, the
/// position of a child in the level below, with the child's bounds).
fn pack(entries: &[Entry], fanout: usize) -> Vec<Vec<Vec<Entry>>> {
    let mut levels = Vec::new();
    let mut items: Vec<Entry> = entries.to_vec();
    loop {
        let nodes = tile(items, fanout);
        let done = nodes.len() == 1;
        items = nodes
            .iter()
            .enumerate()
            .map(|(i, cells)| Entry {
                id: i as i64,
                bounds: union(cells),
            })
            .collect();
        levels.push(nodes);
        if done {
            return levels;
        }
    }
}

/// Sort-Tile-Recursive: the items in vertical slices by x, each slice cut into nodes by y.
fn tile(mut items: Vec<Entry>, fanout: usize) -> Vec<Vec<Entry>> {
    let nodes = items.len().div_ceil(fanout);
    let slices = (nodes as f64).sqrt().ceil() as usize;
    let centre = |e: &Entry, axis: usize| e.bounds[2 * axis] + e.bounds[2 * axis + 1];
    items.sort_by(|a, b| centre(a, 0).total_cmp(&centre(b, 0)).then(a.id.cmp(&b.id)));
    let mut out = Vec::with_capacity(nodes);
    for slice in items.chunks_mut(slices * fanout) {
        slice.sort_by(|a, b| centre(a, 1).total_cmp(&centre(b, 1)).then(a.id.cmp(&b.id)));
        out.extend(slice.chunks(fanout).map(<[Entry]>::to_vec));
    }
    out
}

fn union(cells: &[Entry]) -> [f64; 4] {
    cells.iter().fold(
        [
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ],
        |u, c| {
            [
                u[0].min(c.bounds[0]),
                u[1].max(c.bounds[1]),
                u[2].min(c.bounds[2]),
                u[3].max(c.bounds[3]),
            ]
        },
    )
}

/// 1 - 2^-23 and 1 + 2^-23: SQLite's factors to round a bound towards and away from zero.
const TOWARDS_ZERO: f64 = 1.0 - 1.0 / 8_388_608.0;
const AWAY_FROM_ZERO: f64 = 1.0 + 1.0 / 8_388_608.0;

/// A lower bound as a 32-bit float, rounded down as SQLite does (`rtreeValueDown`).
fn down(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) > v {
        let towards_minus_infinity = if v < 0.0 {
            AWAY_FROM_ZERO
        } else {
            TOWARDS_ZERO
        };
        (v * towards_minus_infinity) as f32
    } else {
        f
    }
}

/// An upper bound as a 32-bit float, rounded up as SQLite does (`rtreeValueUp`).
fn up(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) < v {
        let towards_infinity = if v < 0.0 {
            TOWARDS_ZERO
        } else {
            AWAY_FROM_ZERO
        };
        (v * towards_infinity) as f32
    } else {
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table of `n` boxes on a jittered grid, indexed packed; and the same indexed by
    /// SQLite row by row.
    fn both(n: i64) -> (Connection, Connection) {
        let boxes: Vec<Entry> = (0..n)
            .map(|i| {
                let (x, y) = ((i * 37 % 101) as f64 * 0.013, (i * 53 % 97) as f64 * 0.011);
                Entry {
                    id: i + 1,
                    bounds: [x, x + 0.001 * (i % 7) as f64, y, y + 0.002],
                }
            })
            .collect();
        let make = || {
            let db = Connection::open_in_memory().unwrap();
            db.execute_batch("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy)")
                .unwrap();
            db
        };
        let mut packed = make();
        let tx = packed.transaction().unwrap();
        write_packed(&tx, "r", boxes.clone()).unwrap();
        tx.commit().unwrap();
        let plain = make();
        for b in &boxes {
            let [a, c, d, e] = b.bounds;
            plain
                .execute(
                    "INSERT INTO r VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![b.id, a, c, d, e],
                )
                .unwrap();
        }
        (packed, plain)
    }

    fn window(db: &Connection, w: [f64; 4]) -> Vec<i64> {
        let mut q = db
            .prepare(
                "SELECT id FROM r WHERE maxx >= ?1 AND minx <= ?2 AND maxy >= ?3 AND miny <= ?4 \
                 ORDER BY id",
            )
            .unwrap();
        q.query_map(params![w[0], w[1], w[2], w[3]], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Every entry's id and (as stored, rounded) min x and max y.
    fn stored(db: &Connection) -> Vec<(i64, f64, f64)> {
        db.prepare("SELECT id, minx, maxy FROM r ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn a_packed_tree_passes_sqlites_check_and_answers_as_sqlites_own() {
        for n in [1, 51, 52, 2_601, 2_602, 20_000] {
            let (packed, plain) = both(n);
            let check: String = packed
                .query_row("SELECT rtreecheck('r')", [], |r| r.get(0))
                .unwrap();
            assert_eq!(check, "ok", "{n} boxes");
            for w in [
                [0.1, 0.3, 0.2, 0.5],
                [0.0, 2.0, 0.0, 2.0],
                [0.5, 0.5, 0.5, 0.5],
            ] {
                assert_eq!(window(&packed, w), window(&plain, w), "{n} boxes, {w:?}");
            }
            assert_eq!(
                stored(&packed),
                stored(&plain),
                "{n} boxes: the same rounded bounds"
            );
        }
    }

    #[test]
    fn sqlite_keeps_editing_a_packed_tree() {
        let (packed, _) = both(5_000);
        packed
            .execute("DELETE FROM r WHERE id % 3 = 0", [])
            .unwrap();
        for i in 0..3_000 {
            let x = f64::from(i) * 0.0007;
            packed
                .execute(
                    "INSERT INTO r VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![100_000 + i, x, x + 0.01, x, x + 0.01],
                )
                .unwrap();
        }
        let check: String = packed
            .query_row("SELECT rtreecheck('r')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let count: i64 = packed
            .query_row("SELECT count(*) FROM r", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 5_000 - 1_666 + 3_000);
    }

    #[test]
    fn bounds_round_outwards_as_sqlite_rounds_them() {
        let v = 117.123_456_789_f64;
        assert!(f64::from(down(v)) <= v && f64::from(up(v)) >= v);
        assert!(f64::from(up(v)) - f64::from(down(v)) < 1e-4);
        assert!(f64::from(down(-v)) <= -v && f64::from(up(-v)) >= -v);
        assert_eq!(down(0.5), 0.5);
        assert_eq!(up(0.5), 0.5);
    }
}
