//! Test images, used by unit and integration tests.
//!
//! Built in code rather than checked in, so each one says what it contains: a JPEG with a GPS
//! position in its EXIF, one with an EXIF orientation, a plain PNG, and a pixel-flood PNG.
//! Also the inspectors tests use to prove metadata is gone. Panics here are test failures.

use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, Rgb, RgbImage};
use std::io::Cursor;

/// A `width` x `height` picture: left half red, right half blue, so rotations are visible.
pub fn pattern(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([200, 30, 30])
        } else {
            Rgb([30, 30, 200])
        }
    })
}

/// A real JPEG whose EXIF has a GPS position (52°31'N, 13°24'E), like a phone photo.
pub fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    with_exif(plain_jpeg(width, height), &exif_tiff(None, true))
}

/// A real JPEG whose EXIF has the given Orientation (1..=8; 6 = rotate 90° clockwise to view).
pub fn jpeg_with_orientation(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    with_exif(
        plain_jpeg(width, height),
        &exif_tiff(Some(orientation), false),
    )
}

/// A real PNG of [`pattern`].
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    pattern(width, height)
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .expect("encode PNG");
    out
}

/// A tiny, well-formed PNG whose header claims `claimed_side` x `claimed_side` RGB pixels
/// (60000 would be ~10 GB decoded). Its pixel data is an empty zlib stream.
pub fn pixel_flood_png(claimed_side: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&claimed_side.to_be_bytes());
    ihdr.extend_from_slice(&claimed_side.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    // zlib header, one empty fixed-Huffman block, Adler-32 of nothing.
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// Whether a JPEG has an APP1 "Exif" segment.
pub fn has_exif(bytes: &[u8]) -> bool {
    exif_payloads(bytes).next().is_some()
}

/// Whether a JPEG's EXIF has a GPSInfo (0x8825) pointer in IFD0.
pub fn has_gps(bytes: &[u8]) -> bool {
    exif_payloads(bytes).any(|tiff| ifd0_tags(tiff).contains(&TAG_GPS_INFO))
}

/// A JPEG's markers with their payloads (without the length field), in order, from SOI through
/// EOI; entropy-coded data is skipped. Stops early at anything malformed, so a complete parse
/// ends with `0xD9`.
pub fn segments(bytes: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return out;
    }
    out.push((0xD8, &bytes[..0]));
    let mut i = 2;
    while i < bytes.len() && bytes[i] == 0xFF {
        while i < bytes.len() && bytes[i] == 0xFF {
            i += 1; // fill bytes
        }
        let Some(&marker) = bytes.get(i) else { break };
        i += 1;
        match marker {
            0xD9 => {
                out.push((marker, &bytes[..0]));
                break;
            }
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => out.push((marker, &bytes[..0])),
            _ => {
                let Some(len) = bytes.get(i..i + 2) else {
                    break;
                };
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                let Some(payload) = bytes.get(i + 2..i + len).filter(|_| len >= 2) else {
                    break;
                };
                out.push((marker, payload));
                i += len;
                if marker == 0xDA {
                    // Scan data runs to the next marker that is neither a stuffed 0xFF00 nor a restart.
                    while i + 1 < bytes.len()
                        && !(bytes[i] == 0xFF
                            && bytes[i + 1] != 0
                            && !(0xD0..=0xD7).contains(&bytes[i + 1]))
                    {
                        i += 1;
                    }
                }
            }
        }
    }
    out
}

const TAG_ORIENTATION: u16 = 0x0112;
const TAG_GPS_INFO: u16 = 0x8825;
const EXIF_HEADER: &[u8] = b"Exif\0\0";

fn plain_jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&pattern(width, height))
        .expect("encode JPEG");
    out
}

/// Inserts an APP1 Exif segment holding `tiff` right after SOI, where cameras put it.
fn with_exif(jpeg: Vec<u8>, tiff: &[u8]) -> Vec<u8> {
    assert!(jpeg.starts_with(&[0xFF, 0xD8]), "not a JPEG");
    let len = u16::try_from(2 + EXIF_HEADER.len() + tiff.len()).expect("EXIF fits a segment");
    let mut out = Vec::with_capacity(jpeg.len() + usize::from(len) + 2);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(EXIF_HEADER);
    out.extend_from_slice(tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A little-endian TIFF block: IFD0 with an optional Orientation and an optional GPSInfo
/// pointer to a GPS IFD with latitude and longitude.
fn exif_tiff(orientation: Option<u16>, gps: bool) -> Vec<u8> {
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    let ifd_len = |entries: usize| 2 + 12 * entries + 4;

    // Entries are (tag, type, count, 4 value bytes), sorted by tag as TIFF requires.
    let mut ifd0: Vec<(u16, u16, u32, [u8; 4])> = Vec::new();
    if let Some(value) = orientation {
        let v = value.to_le_bytes();
        ifd0.push((TAG_ORIENTATION, SHORT, 1, [v[0], v[1], 0, 0]));
    }
    let ifd0_at = 8;
    let gps_at = ifd0_at + ifd_len(ifd0.len() + usize::from(gps));
    if gps {
        ifd0.push((TAG_GPS_INFO, LONG, 1, offset(gps_at)));
    }

    let mut out = vec![b'I', b'I', 42, 0];
    out.extend_from_slice(&offset(ifd0_at));
    write_ifd(&mut out, &ifd0);
    if gps {
        // Degrees, minutes, seconds as rationals, stored after the GPS IFD.
        let data_at = gps_at + ifd_len(4);
        let lat_at = data_at;
        let lon_at = data_at + 24;
        let gps_ifd = [
            (0x0001, ASCII, 2, *b"N\0\0\0"),
            (0x0002, RATIONAL, 3, offset(lat_at)),
            (0x0003, ASCII, 2, *b"E\0\0\0"),
            (0x0004, RATIONAL, 3, offset(lon_at)),
        ];
        write_ifd(&mut out, &gps_ifd);
        for (num, den) in [(52, 1), (31, 1), (1200, 100), (13, 1), (24, 1), (3600, 100)] {
            out.extend_from_slice(&u32::to_le_bytes(num));
            out.extend_from_slice(&u32::to_le_bytes(den));
        }
    }
    out
}

fn write_ifd(out: &mut Vec<u8>, entries: &[(u16, u16, u32, [u8; 4])]) {
    let count = u16::try_from(entries.len()).expect("few entries");
    out.extend_from_slice(&count.to_le_bytes());
    for (tag, kind, n, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(value);
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
}

fn offset(at: usize) -> [u8; 4] {
    u32::try_from(at).expect("small offset").to_le_bytes()
}

/// The TIFF blocks of a JPEG's APP1 Exif segments.
fn exif_payloads(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    segments(bytes)
        .into_iter()
        .filter(|(marker, _)| *marker == 0xE1)
        .filter_map(|(_, payload)| payload.strip_prefix(EXIF_HEADER))
}

/// The tags in IFD0 of a TIFF block, either byte order; empty if malformed.
fn ifd0_tags(tiff: &[u8]) -> Vec<u16> {
    let little = match tiff.get(..4) {
        Some([b'I', b'I', 42, 0]) => true,
        Some([b'M', b'M', 0, 42]) => false,
        _ => return Vec::new(),
    };
    let u16_at = |at: usize| {
        tiff.get(at..at + 2).map(|b| {
            let b = [b[0], b[1]];
            if little {
                u16::from_le_bytes(b)
            } else {
                u16::from_be_bytes(b)
            }
        })
    };
    let u32_at = |at: usize| {
        tiff.get(at..at + 4).map(|b| {
            let b = [b[0], b[1], b[2], b[3]];
            if little {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            }
        })
    };
    let Some(ifd) = u32_at(4).and_then(|at| usize::try_from(at).ok()) else {
        return Vec::new();
    };
    let Some(count) = u16_at(ifd) else {
        return Vec::new();
    };
    (0..usize::from(count))
        .map_while(|n| u16_at(ifd + 2 + 12 * n))
        .collect()
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).expect("small chunk");
    out.extend_from_slice(&len.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE, reflected), as PNG chunks use; bitwise, since the inputs are tiny.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        // The IEND chunk CRC every PNG ends with.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn inspectors_see_what_the_fixtures_hold() {
        let gps = jpeg_with_gps(16, 16);
        assert!(has_exif(&gps) && has_gps(&gps));
        assert_eq!(segments(&gps).last().map(|s| s.0), Some(0xD9));
        let oriented = jpeg_with_orientation(16, 16, 6);
        assert!(has_exif(&oriented) && !has_gps(&oriented));
        assert_eq!(
            ifd0_tags(exif_payloads(&oriented).next().unwrap()),
            [TAG_ORIENTATION]
        );
        let plain = plain_jpeg(16, 16);
        assert!(!has_exif(&plain) && !has_gps(&plain));
        assert!(!has_exif(&png(4, 4)) && !has_exif(b"") && !has_exif(b"\xFF\xD8\xFF"));
    }

    #[test]
    fn pixel_flood_header_is_valid_and_claims_the_size() {
        let flood = pixel_flood_png(60_000);
        let decoder = image::codecs::png::PngDecoder::new(Cursor::new(&flood)).unwrap();
        assert_eq!(image::ImageDecoder::dimensions(&decoder), (60_000, 60_000));
    }
}
