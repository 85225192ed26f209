//! Text shown to readers, given once or per language.
//!
//! Titles, labels, sources and the attribution may be written as a plain string, used for
//! every language, or as a table with one entry per language:
//!
//! ```toml
//! title = { en = "TEDA: 15-minute life circles", zh = "泰达：15分钟生活圈" }
//! ```
//!
//! A run resolves every such text once, for the language of its report and maps
//! ([`InLang`]); a text with no entry for that language falls back to the other, and the
//! run says so once, listing every text that fell back.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Lang;

/// A text for readers: the same in every language, or one per language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalText {
    /// One string for every language.
    Same(String),
    /// One string per language; at least one is given.
    PerLang {
        /// English.
        en: Option<String>,
        /// Simplified Chinese.
        zh: Option<String>,
    },
}

impl LocalText {
    /// The text in `lang`, and whether it fell back to the other language. Blank entries
    /// count as missing.
    pub fn get(&self, lang: Lang) -> Option<(&str, bool)> {
        fn present(s: &Option<String>) -> Option<&str> {
            s.as_deref().filter(|t| !t.trim().is_empty())
        }
        match self {
            LocalText::Same(s) => Some(s.as_str())
                .filter(|t| !t.trim().is_empty())
                .map(|t| (t, false)),
            LocalText::PerLang { en, zh } => {
                let (wanted, other) = match lang {
                    Lang::En => (present(en), present(zh)),
                    Lang::Zh => (present(zh), present(en)),
                };
                wanted.map(|t| (t, false)).or(other.map(|t| (t, true)))
            }
        }
    }
}

impl From<&str> for LocalText {
    fn from(s: &str) -> LocalText {
        LocalText::Same(s.to_string())
    }
}

impl From<String> for LocalText {
    fn from(s: String) -> LocalText {
        LocalText::Same(s)
    }
}

impl Serialize for LocalText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            LocalText::Same(s) => serializer.serialize_str(s),
            LocalText::PerLang { en, zh } => {
                let mut map = serializer.serialize_map(None)?;
                if let Some(en) = en {
                    map.serialize_entry("en", en)?;
                }
                if let Some(zh) = zh {
                    map.serialize_entry("zh", zh)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for LocalText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<LocalText, D::Error> {
        deserializer.deserialize_any(LocalTextVisitor)
    }
}

struct LocalTextVisitor;

impl<'de> Visitor<'de> for LocalTextVisitor {
    type Value = LocalText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, or a table of languages such as { en = \"...\", zh = \"...\" }")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<LocalText, E> {
        Ok(LocalText::Same(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<LocalText, E> {
        Ok(LocalText::Same(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LocalText, A::Error> {
        let (mut en, mut zh) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            let slot = match key.as_str() {
                "en" => &mut en,
                "zh" => &mut zh,
                other => {
                    return Err(de::Error::custom(format!(
                        "\"{other}\" is not a language of the report; expected en or zh"
                    )))
                }
            };
            if slot.is_some() {
                return Err(de::Error::custom(format!(
                    "language \"{key}\" is given twice"
                )));
            }
            *slot = Some(map.next_value::<String>()?);
        }
        if en.is_none() && zh.is_none() {
            return Err(de::Error::custom(
                "the table of languages is empty; give en, zh or both",
            ));
        }
        Ok(LocalText::PerLang { en, zh })
    }
}

/// Resolves a run's texts into one language, noting those that fell back to the other.
#[derive(Debug)]
pub struct InLang {
    lang: Lang,
    fell_back: Vec<String>,
}

impl InLang {
    /// Resolves into `lang`.
    pub fn new(lang: Lang) -> InLang {
        InLang {
            lang,
            fell_back: Vec::new(),
        }
    }

    /// The text in the run's language; `what` names it in the fallback warning
    /// (e.g. `category "market" label`).
    pub fn text(&mut self, what: &str, text: Option<&LocalText>) -> Option<String> {
        let (s, fell_back) = text?.get(self.lang)?;
        if fell_back {
            self.fell_back.push(what.to_string());
        }
        Some(s.to_string())
    }

    /// The texts that fell back to the other language, in the order asked.
    pub fn fell_back(self) -> Vec<String> {
        self.fell_back
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Holder {
        title: LocalText,
    }

    fn parse(s: &str) -> Result<LocalText, String> {
        toml::from_str::<Holder>(s)
            .map(|h| h.title)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_plain_string_serves_every_language() {
        let t = parse("title = \"TEDA\"").unwrap();
        assert_eq!(t.get(Lang::En), Some(("TEDA", false)));
        assert_eq!(t.get(Lang::Zh), Some(("TEDA", false)));
    }

    #[test]
    fn a_table_gives_each_language_and_falls_back_to_the_other() {
        let t = parse("title = { en = \"Markets\", zh = \"菜市场\" }").unwrap();
        assert_eq!(t.get(Lang::En), Some(("Markets", false)));
        assert_eq!(t.get(Lang::Zh), Some(("菜市场", false)));
        let only_en = parse("title = { en = \"Markets\" }").unwrap();
        assert_eq!(only_en.get(Lang::Zh), Some(("Markets", true)));
        let blank_zh = parse("title = { en = \"Markets\", zh = \" \" }").unwrap();
        assert_eq!(blank_zh.get(Lang::Zh), Some(("Markets", true)));
    }

    #[test]
    fn unknown_languages_and_empty_tables_are_refused_by_name() {
        let e = parse("title = { en = \"a\", fr = \"b\" }").unwrap_err();
        assert!(
            e.contains("\"fr\" is not a language of the report; expected en or zh"),
            "{e}"
        );
        let e = parse("title = {}").unwrap_err();
        assert!(e.contains("the table of languages is empty"), "{e}");
        let e = parse("title = 3").unwrap_err();
        assert!(e.contains("a string, or a table of languages"), "{e}");
    }

    #[test]
    fn fallbacks_are_listed_in_the_order_asked() {
        let mut in_zh = InLang::new(Lang::Zh);
        let only_en = LocalText::PerLang {
            en: Some("Markets".into()),
            zh: None,
        };
        let both = LocalText::PerLang {
            en: Some("Markets".into()),
            zh: Some("菜市场".into()),
        };
        assert_eq!(
            in_zh.text("title", Some(&only_en)).as_deref(),
            Some("Markets")
        );
        assert_eq!(in_zh.text("label", Some(&both)).as_deref(), Some("菜市场"));
        assert_eq!(in_zh.text("source", None), None);
        assert_eq!(in_zh.fell_back(), vec!["title".to_string()]);
    }
}
