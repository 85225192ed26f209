//! The report as one self-contained HTML5 page: inline CSS, maps as `data:` images, no
//! script, and a Content Security Policy that forbids loading anything else.

use std::fmt::Write as _;

use base64::Engine as _;

use super::{Block, Cell, Col, Def, Doc, Table};
use crate::input::config::Lang;
use crate::output::text;

/// Loads nothing but the page itself: inline styles and `data:` images. A browser refuses
/// (and logs) any other load.
const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

const CSS: &str = r#"
@page { size: A4; margin: 16mm 15mm 18mm;
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #5a6570; } }
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
  "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif; font-size: 10pt; line-height: 1.45;
  color: #1b1b1b; background: #fff; max-width: 190mm; margin: 10mm auto; padding: 0 6mm;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
header { border-bottom: 2pt solid #1f4e79; padding-bottom: 6pt; margin-bottom: 4pt; }
h1 { font-size: 19pt; line-height: 1.25; margin: 0 0 2pt; color: #12355b; }
.kind { margin: 0 0 8pt; color: #4a5a6a; font-size: 11pt; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2pt 12pt; margin: 0;
  font-size: 9pt; }
dl.facts dt { font-weight: 600; color: #333; }
dl.facts dd { margin: 0; }
.detail { display: block; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 7.5pt; color: #5a6570; word-break: break-all; }
h2 { font-size: 14pt; color: #12355b; border-bottom: 1pt solid #9fb3c8; padding-bottom: 2pt;
  margin: 18pt 0 6pt; break-after: avoid; }
h3 { font-size: 11pt; margin: 12pt 0 4pt; color: #1f3a56; break-after: avoid; }
p { margin: 4pt 0; }
.note { font-size: 8.5pt; color: #4a4a4a; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 6pt; font-size: 8.5pt; }
th, td { text-align: left; vertical-align: top; padding: 3pt 4pt;
  border-bottom: 0.5pt solid #c8d0d8; }
thead th { background: #e9eff5; border-top: 1pt solid #6b7f93; border-bottom: 1pt solid #6b7f93;
  font-weight: 600; }
table.compact { width: auto; min-width: 55%; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td.short { white-space: nowrap; }
td .sub { display: block; color: #5a6570; font-size: 7.5pt; }
td.verdict { font-weight: 700; white-space: nowrap; }
td.met { color: #14612a; background: #e6f4ea; }
td.not-met { color: #a1121c; background: #fbe9ea; }
td.no-target { color: #555; font-weight: 400; }
dl.defs { margin: 2pt 0 6pt; font-size: 8.5pt; }
dl.defs dt { font-weight: 600; float: left; clear: left; margin-right: 6pt; }
dl.defs dd { margin: 0 0 2pt 0; }
ul { margin: 4pt 0; padding-left: 14pt; }
li { margin: 2pt 0; }
figure { margin: 6pt 0 8pt; break-inside: avoid; }
figure img { display: block; width: 100%; max-height: 195mm; object-fit: contain;
  border: 0.5pt solid #c8d0d8; }
figcaption { font-size: 9.5pt; font-weight: 600; margin-top: 3pt; }
.missing-map { border: 0.5pt dashed #9aa5b1; padding: 10pt; color: #555; font-size: 9pt; }
footer { margin-top: 14pt; border-top: 0.5pt solid #9fb3c8; padding-top: 4pt; font-size: 8pt;
  color: #4a5a6a; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9.5pt; }
  section { break-before: page; }
  section:first-of-type { break-before: auto; }
  h2 { margin-top: 0; }
  thead { display: table-header-group; }
  tr, figure, dl.facts { break-inside: avoid; }
}
"#;

/// Renders the document; `maps` holds `(which map, SVG)`.
pub(super) fn render(doc: &Doc, maps: &[(super::MapKey, String)]) -> String {
    let lang = match doc.lang {
        Lang::En => "en",
        Lang::Zh => "zh-CN",
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"lifecircle {}\">\n<title>{}</title>\n\
         <style>{CSS}</style>\n</head>\n<body>\n<header>\n<h1>{}</h1>\n<p class=\"kind\">{}</p>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&doc.title),
        esc(&doc.title),
        esc(doc.kind)
    );
    defs(&mut out, "facts", &doc.facts);
    out.push_str("</header>\n<main>\n");
    for s in &doc.sections {
        let _ = writeln!(
            out,
            "<section id=\"{}\">\n<h2>{}</h2>",
            esc(&s.id),
            esc(&s.title)
        );
        for b in &s.blocks {
            block(&mut out, b, maps, doc.lang);
        }
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n");
    if let Some(a) = &doc.attribution {
        let _ = writeln!(
            out,
            "<footer>{}{}{}</footer>",
            esc(text::term(text::Term::Attribution, doc.lang)),
            text::colon(doc.lang),
            esc(a)
        );
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn block(out: &mut String, b: &Block, maps: &[(super::MapKey, String)], lang: Lang) {
    match b {
        Block::Heading(t) => {
            let _ = writeln!(out, "<h3>{}</h3>", esc(t));
        }
        Block::Text(t) => {
            let _ = writeln!(out, "<p>{}</p>", esc(t));
        }
        Block::Note(t) => {
            let _ = writeln!(out, "<p class=\"note\">{}</p>", esc(t));
        }
        Block::List(items) => {
            out.push_str("<ul>\n");
            for i in items {
                let _ = writeln!(out, "<li>{}</li>", esc(i));
            }
            out.push_str("</ul>\n");
        }
        Block::Defs(d) => defs(out, "defs", d),
        Block::Table(t) => table(out, t),
        Block::Map { map, caption } => {
            let svg = maps.iter().find(|(m, _)| m == map).map(|(_, s)| s);
            match svg {
                Some(svg) if !svg.trim().is_empty() => {
                    let data = base64::engine::general_purpose::STANDARD.encode(svg.as_bytes());
                    let _ = writeln!(
                        out,
                        "<figure><img alt=\"{}\" src=\"data:image/svg+xml;base64,{data}\">\
                         <figcaption>{}</figcaption></figure>",
                        esc(caption),
                        esc(caption)
                    );
                }
                found => {
                    let why = if found.is_some() {
                        text::map_missing(lang)
                    } else {
                        text::map_off(lang)
                    };
                    let _ = writeln!(
                        out,
                        "<figure><div class=\"missing-map\">{}</div>\
                         <figcaption>{}</figcaption></figure>",
                        esc(why),
                        esc(caption)
                    );
                }
            }
        }
    }
}

fn defs(out: &mut String, class: &str, items: &[Def]) {
    let _ = writeln!(out, "<dl class=\"{class}\">");
    for d in items {
        let detail = d
            .detail
            .as_ref()
            .map(|x| format!("<span class=\"detail\">{}</span>", esc(x)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<dt>{}</dt><dd>{}{detail}</dd>",
            esc(&d.term),
            esc(&d.text)
        );
    }
    out.push_str("</dl>\n");
}

fn table(out: &mut String, t: &Table) {
    let class = if t.compact { " class=\"compact\"" } else { "" };
    let _ = writeln!(out, "<table id=\"{}\"{class}>\n<thead><tr>", esc(&t.id));
    for h in &t.head {
        let class = if h.col == Col::Number {
            " class=\"num\""
        } else {
            ""
        };
        let _ = write!(out, "<th{class}>{}</th>", esc(&h.text));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        let _ = write!(out, "<tr data-key=\"{}\">", esc(&row.key));
        for (i, c) in row.cells.iter().enumerate() {
            cell(out, c, t.head.get(i).map_or(Col::Text, |h| h.col));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn cell(out: &mut String, c: &Cell, col: Col) {
    let class = match (c.verdict, col) {
        (Some(Some(true)), _) => "verdict met",
        (Some(Some(false)), _) => "verdict not-met",
        (Some(None), _) => "verdict no-target",
        (None, Col::Number) => "num",
        (None, Col::Short) => "short",
        (None, Col::Text) => "",
    };
    if class.is_empty() {
        out.push_str("<td>");
    } else {
        let _ = write!(out, "<td class=\"{class}\">");
    }
    out.push_str(&esc(&c.text));
    if let Some(sub) = &c.sub {
        let _ = write!(out, "<span class=\"sub\">{}</span>", esc(sub));
    }
    out.push_str("</td>");
}

/// Escapes text for HTML element content and quoted attribute values.
pub(super) use crate::output::text::escape_xml as esc;
