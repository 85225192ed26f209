//! The `.qgz` archive QGIS stores in a GeoPackage's `qgis_projects` table: a ZIP holding
//! one `.qgs` file.
//!
//! Written by hand (one entry, deflated, no extra fields, a fixed DOS time of 1980-01-01 so
//! the bytes depend on the project alone); QGIS opens it with libzip.

use std::io::Write as _;

use flate2::write::DeflateEncoder;
use flate2::Compression;

/// Local file header signature.
const LOCAL: u32 = 0x0403_4b50;
/// Central directory header signature.
const CENTRAL: u32 = 0x0201_4b50;
/// End of central directory signature.
const END: u32 = 0x0605_4b50;
/// Version needed to extract: 2.0 (deflate).
const VERSION: u16 = 20;
/// Compression method: deflate.
const DEFLATE: u16 = 8;
/// General purpose flag bit 11: the name is UTF-8.
const UTF8_NAME: u16 = 1 << 11;
/// 1980-01-01 00:00 in DOS date format (time 0).
const DOS_DATE: u16 = (1 << 5) | 1;

/// A ZIP archive holding `data` as the one file `name`.
pub fn zip_one(name: &str, data: &[u8]) -> Vec<u8> {
    let mut deflater = DeflateEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = deflater.write_all(data);
    let packed = deflater.finish().unwrap_or_default();
    let crc = crc32fast::hash(data);
    let name = name.as_bytes();
    let mut out = Vec::with_capacity(packed.len() + 2 * name.len() + 100);
    let sizes = |out: &mut Vec<u8>| {
        put32(out, crc);
        put32(out, packed.len() as u32);
        put32(out, data.len() as u32);
        put16(out, name.len() as u16);
        put16(out, 0); // extra field length
    };
    put32(&mut out, LOCAL);
    put16(&mut out, VERSION);
    put16(&mut out, UTF8_NAME);
    put16(&mut out, DEFLATE);
    put16(&mut out, 0); // time
    put16(&mut out, DOS_DATE);
    sizes(&mut out);
    out.extend_from_slice(name);
    out.extend_from_slice(&packed);
    let central_at = out.len();
    put32(&mut out, CENTRAL);
    put16(&mut out, VERSION); // made by
    put16(&mut out, VERSION);
    put16(&mut out, UTF8_NAME);
    put16(&mut out, DEFLATE);
    put16(&mut out, 0);
    put16(&mut out, DOS_DATE);
    sizes(&mut out);
    put16(&mut out, 0); // comment length
    put16(&mut out, 0); // disk number
    put16(&mut out, 0); // internal attributes
    put32(&mut out, 0); // external attributes
    put32(&mut out, 0); // offset of the local header
    out.extend_from_slice(name);
    let central_len = out.len() - central_at;
    put32(&mut out, END);
    put16(&mut out, 0); // this disk
    put16(&mut out, 0); // disk with the directory
    put16(&mut out, 1); // entries on this disk
    put16(&mut out, 1); // entries
    put32(&mut out, central_len as u32);
    put32(&mut out, central_at as u32);
    put16(&mut out, 0); // comment length
    out
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    #[test]
    fn the_archive_holds_the_file_as_zip_readers_find_it() {
        let text = "<qgis>泰达</qgis>\n".repeat(50);
        let zip = zip_one("项目.qgs", text.as_bytes());
        // The end record points at the central directory, which points at the entry.
        let end = zip.len() - 22;
        assert_eq!(&zip[end..end + 4], &END.to_le_bytes());
        let central_at = u32::from_le_bytes(zip[end + 16..end + 20].try_into().unwrap());
        assert_eq!(
            &zip[central_at as usize..central_at as usize + 4],
            &CENTRAL.to_le_bytes()
        );
        let packed_len = u32::from_le_bytes(zip[18..22].try_into().unwrap()) as usize;
        let name_len = u16::from_le_bytes(zip[26..28].try_into().unwrap()) as usize;
        assert_eq!(&zip[30..30 + name_len], "项目.qgs".as_bytes());
        let start = 30 + name_len;
        let mut unpacked = String::new();
        flate2::read::DeflateDecoder::new(&zip[start..start + packed_len])
            .read_to_string(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, text);
        assert_eq!(
            u32::from_le_bytes(zip[14..18].try_into().unwrap()),
            crc32fast::hash(text.as_bytes())
        );
        assert!(packed_len < text.len() / 10);
    }
}
