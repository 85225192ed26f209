//! Text encodings by name or Windows code page, as settings, `.cpg` files and DBF language
//! bytes give them.

use std::path::Path;

use encoding_rs::Encoding;

use crate::error::{Error, Result};

/// The encoding a label names: a WHATWG label (`UTF-8`, `GBK`, `GB18030`, `Big5`), a Windows
/// code page (`936`, `CP936`, `ANSI 936`, `65001`) or ISO 8859-1 (`88591`, `8859_1`).
pub(crate) fn by_label(label: &str) -> Option<&'static Encoding> {
    let t = label.trim();
    let upper = t.to_ascii_uppercase();
    let digits: String = upper
        .trim_start_matches("ANSI")
        .trim_start_matches("CP")
        .trim_start_matches("WINDOWS-")
        .trim()
        .to_string();
    if let "88591" | "ISO88591" | "LATIN1" = upper.replace(['-', '_', ' '], "").as_str() {
        return Some(encoding_rs::WINDOWS_1252);
    }
    if let Ok(page) = digits.parse::<u32>() {
        return code_page(page);
    }
    Encoding::for_label(t.as_bytes())
}

/// The encoding of a Windows code page, where encoding_rs has it.
pub(crate) fn code_page(page: u32) -> Option<&'static Encoding> {
    Some(match page {
        65001 => encoding_rs::UTF_8,
        936 => encoding_rs::GBK,
        54936 => encoding_rs::GB18030,
        950 => encoding_rs::BIG5,
        932 => encoding_rs::SHIFT_JIS,
        949 => encoding_rs::EUC_KR,
        874 => encoding_rs::WINDOWS_874,
        866 => encoding_rs::IBM866,
        1250 => encoding_rs::WINDOWS_1250,
        1251 => encoding_rs::WINDOWS_1251,
        1252 | 28591 => encoding_rs::WINDOWS_1252,
        1253 => encoding_rs::WINDOWS_1253,
        1254 => encoding_rs::WINDOWS_1254,
        1255 => encoding_rs::WINDOWS_1255,
        1256 => encoding_rs::WINDOWS_1256,
        1257 => encoding_rs::WINDOWS_1257,
        1258 => encoding_rs::WINDOWS_1258,
        _ => return None,
    })
}

/// The encoding a setting declares for `path`, or an error naming the setting.
pub(crate) fn declared(path: &Path, label: &str) -> Result<&'static Encoding> {
    by_label(label).ok_or_else(|| Error::Setting {
        setting: format!("encoding of {}", path.display()),
        message: format!(
            "\"{label}\" is not an encoding lifecircle knows (try UTF-8, GBK, GB18030, Big5 or a \
             code page such as 936)"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_code_pages() {
        assert_eq!(by_label("936"), Some(encoding_rs::GBK));
        assert_eq!(by_label("CP936"), Some(encoding_rs::GBK));
        assert_eq!(by_label("ANSI 936"), Some(encoding_rs::GBK));
        assert_eq!(by_label("gbk"), Some(encoding_rs::GBK));
        assert_eq!(by_label("UTF-8\r\n"), Some(encoding_rs::UTF_8));
        assert_eq!(by_label("65001"), Some(encoding_rs::UTF_8));
        assert_eq!(by_label("88591"), Some(encoding_rs::WINDOWS_1252));
        assert_eq!(by_label("GB18030"), Some(encoding_rs::GB18030));
        assert_eq!(by_label("klingon"), None);
        assert_eq!(by_label("437"), None);
    }
}
