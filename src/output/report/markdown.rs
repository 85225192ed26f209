//! The report as GitHub-flavoured Markdown: the same tables, maps as links to their PNGs.

use std::fmt::Write as _;

use super::{Block, Cell, Col, Def, Doc, Table};
use crate::input::config::Lang;
use crate::output::text;

/// Renders the document; `maps` holds `(which map, relative path of its PNG)`.
pub(super) fn render(doc: &Doc, maps: &[(super::MapKey, String)]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n\n*{}*\n", esc(&doc.title), esc(doc.kind));
    defs(&mut out, &doc.facts, doc.lang);
    for s in &doc.sections {
        let _ = writeln!(out, "## {}\n", esc(&s.title));
        for b in &s.blocks {
            match b {
                Block::Heading(t) => {
                    let _ = writeln!(out, "### {}\n", esc(t));
                }
                Block::Text(t) => {
                    let _ = writeln!(out, "{}\n", esc(t));
                }
                Block::Note(t) => {
                    let _ = writeln!(out, "*{}*\n", esc(t));
                }
                Block::List(items) => {
                    for i in items {
                        let _ = writeln!(out, "- {}", esc(i));
                    }
                    out.push('\n');
                }
                Block::Defs(d) => defs(&mut out, d, doc.lang),
                Block::Table(t) => table(&mut out, t),
                Block::Map { map, caption } => {
                    match maps.iter().find(|(m, _)| m == map) {
                        Some((_, path)) => {
                            let _ = writeln!(out, "![{}]({})\n", esc(caption), path);
                        }
                        None => {
                            let _ = writeln!(out, "*{}*\n", esc(text::map_off(doc.lang)));
                        }
                    }
                    let _ = writeln!(out, "**{}**\n", esc(caption));
                }
            }
        }
    }
    if let Some(a) = &doc.attribution {
        let _ = writeln!(
            out,
            "---\n\n{}{}{}",
            esc(text::term(text::Term::Attribution, doc.lang)),
            text::colon(doc.lang),
            esc(a)
        );
    }
    out
}

fn defs(out: &mut String, items: &[Def], lang: Lang) {
    for d in items {
        let detail = d
            .detail
            .as_ref()
            .map(|x| format!(" — {}", esc(x)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- **{}**{}{}{detail}",
            esc(&d.term),
            text::colon(lang),
            esc(&d.text)
        );
    }
    out.push('\n');
}

fn table(out: &mut String, t: &Table) {
    let heads: Vec<String> = t.head.iter().map(|h| esc(&h.text)).collect();
    let _ = writeln!(out, "| {} |", heads.join(" | "));
    let rule: Vec<&str> = t
        .head
        .iter()
        .map(|h| if h.col == Col::Number { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
    for row in &t.rows {
        let cells: Vec<String> = row.cells.iter().map(cell).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

fn cell(c: &Cell) -> String {
    let text = esc(&c.text);
    let text = if c.verdict.is_some_and(|v| v.is_some()) {
        format!("**{text}**")
    } else {
        text
    };
    match &c.sub {
        Some(sub) => format!("{text} ({})", esc(sub)),
        None => text,
    }
}

/// Escapes text for Markdown: a pipe would end a table cell, `<` open HTML, `&` an entity,
/// `*`, `_`, `` ` `` and brackets start emphasis, code or links, `>` first a quote; a line
/// break would end the row.
pub(super) fn esc(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &ch) in chars.iter().enumerate() {
        match ch {
            '\\' | '|' | '<' | '*' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(ch);
            }
            // Inside a word (`elderly_care`) an underscore is plain text in GFM.
            '_' => {
                let word = |j: Option<usize>| {
                    j.and_then(|j| chars.get(j))
                        .is_some_and(|c| c.is_alphanumeric())
                };
                if !(word(i.checked_sub(1)) && word(Some(i + 1))) {
                    out.push('\\');
                }
                out.push('_');
            }
            // At the start of a line, `>` opens a quote.
            '>' if i == 0 => out.push_str("\\>"),
            // `&lt;` would be read as an entity.
            '&' if chars
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '#') =>
            {
                out.push_str("\\&");
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
