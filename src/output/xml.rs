//! A small XML tree, enough to write QGIS documents: the QML styles and the project.
//!
//! Elements are built by value and written with two-space indentation; text and attribute
//! values are escaped by [`crate::output::text::escape_xml`]. The output depends on the tree alone,
//! so the same tree gives the same bytes.

use std::fmt::Write as _;

use crate::output::text::escape_xml as escape;

/// An XML element.
#[derive(Debug, Clone)]
pub struct Element {
    /// Its tag.
    pub name: &'static str,
    /// Its attributes, in writing order.
    pub attrs: Vec<(&'static str, String)>,
    /// Its child elements, in order (written only when it has no text).
    pub children: Vec<Element>,
    /// Its text, if it holds text.
    pub text: Option<String>,
}

impl Element {
    /// An empty element.
    pub fn new(name: &'static str) -> Element {
        Element {
            name,
            attrs: Vec::new(),
            children: Vec::new(),
            text: None,
        }
    }

    /// With one more attribute.
    pub fn attr(mut self, key: &'static str, value: &str) -> Element {
        self.attrs.push((key, value.to_string()));
        self
    }

    /// With one more child.
    pub fn child(mut self, child: Element) -> Element {
        self.children.push(child);
        self
    }

    /// With these children added.
    pub fn children(mut self, children: impl IntoIterator<Item = Element>) -> Element {
        self.children.extend(children);
        self
    }

    /// Holding `text`.
    pub fn text(mut self, text: &str) -> Element {
        self.text = Some(text.to_string());
        self
    }

    /// The value of attribute `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Writes the element at indentation `depth`.
    pub fn write(&self, out: &mut String, depth: usize) {
        let indent = "  ".repeat(depth);
        let _ = write!(out, "{indent}<{}", self.name);
        for (k, v) in &self.attrs {
            let _ = write!(out, " {k}=\"{}\"", escape(v));
        }
        match (&self.text, self.children.is_empty()) {
            (Some(text), _) => {
                let _ = writeln!(out, ">{}</{}>", escape(text), self.name);
            }
            (None, true) => out.push_str("/>\n"),
            (None, false) => {
                out.push_str(">\n");
                for c in &self.children {
                    c.write(out, depth + 1);
                }
                let _ = writeln!(out, "{indent}</{}>", self.name);
            }
        }
    }

    /// A QGIS document: the DOCTYPE line QGIS writes, then the element.
    pub fn qgis_document(&self) -> String {
        let mut out = String::from("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n");
        self.write(&mut out, 0);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_written_indented_and_escaped() {
        let e = Element::new("a")
            .attr("k", "x\"y")
            .child(Element::new("b").text("1 < 2"))
            .child(Element::new("c"));
        let mut out = String::new();
        e.write(&mut out, 0);
        assert_eq!(out, "<a k=\"x&quot;y\">\n  <b>1 &lt; 2</b>\n  <c/>\n</a>\n");
        assert_eq!(e.get("k"), Some("x\"y"));
        assert_eq!(e.get("z"), None);
    }
}
