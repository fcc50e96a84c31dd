//! Progress photos: sniffed, decoded with limits, re-encoded without metadata.
//!
//! [`process`] is the only way an uploaded photo reaches storage. It trusts nothing the client
//! says: the format comes from the magic bytes, the size from the decoder under hard limits, and
//! the output is a fresh JPEG, so EXIF (GPS position, camera serials), XMP and ICC data are gone.
//! It is synchronous and CPU-bound: run it in `tokio::task::spawn_blocking`.

pub mod fixtures;

use crate::AppError;
use image::codecs::jpeg::JpegEncoder;
use image::error::LimitErrorKind;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Rgb, RgbImage};
use std::io::Cursor;

/// The long side of a stored photo: plenty for a progress picture, small enough to serve.
pub const OUTPUT_MAX_SIDE: u32 = 2048;
/// JPEG quality of stored photos.
pub const OUTPUT_QUALITY: u8 = 85;

/// What an upload may cost us before it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoLimits {
    /// Largest accepted upload, in bytes.
    pub max_bytes: usize,
    /// Largest accepted width or height, in pixels, read from the file's header.
    pub max_side: u32,
    /// Largest decoded pixel buffer, in bytes.
    pub max_alloc: u64,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            max_side: 8192,
            // A 40-megapixel RGB photo fits; an 8192x8192 RGBA PNG does not. Colour conversion and
            // resizing copy the buffer, so one decode peaks at 2-3x this, and at most two run at
            // once (`checkin_intake`).
            max_alloc: 128 * 1024 * 1024,
        }
    }
}

/// A photo ready to store: a JPEG with no metadata, upright, long side at most [`OUTPUT_MAX_SIDE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedPhoto {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Checks, decodes, orients, downscales and re-encodes an uploaded photo.
///
/// `label` names the field ("Front photo") and starts every error message. Errors about the
/// file are `AppError::Invalid` (400); only an encoder failure on our side is a 500.
pub fn process(
    bytes: &[u8],
    limits: &PhotoLimits,
    label: &str,
) -> Result<ProcessedPhoto, AppError> {
    // 1. Size, before any parsing.
    if bytes.len() > limits.max_bytes {
        return Err(AppError::invalid(format!(
            "{label} is too large: at most {} MB.",
            megabytes(limits.max_bytes)
        )));
    }

    // 2. The format from the magic bytes only: names and declared types are the client's word.
    let not_an_image = || AppError::invalid(format!("{label} is not a JPEG, PNG or WebP image."));
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| not_an_image())?;
    if !matches!(
        reader.format(),
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)
    ) {
        return Err(not_an_image());
    }

    // 3. Decode under limits: the dimensions are checked from the header, before pixels are
    // allocated, so a small file claiming 60000x60000 costs nothing.
    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(limits.max_side);
    decode_limits.max_image_height = Some(limits.max_side);
    decode_limits.max_alloc = Some(limits.max_alloc);
    let mut reader = reader;
    reader.limits(decode_limits.clone());
    let fail = |err: ImageError| decode_error(err, limits, label);
    let mut decoder = reader.into_decoder().map_err(fail)?;
    // `into_decoder` does not count the output buffer (only `decode` does), so reserve it here.
    decode_limits.reserve(decoder.total_bytes()).map_err(fail)?;
    // 4. Read the orientation now: the EXIF that holds it is dropped with the decoder.
    // A malformed EXIF block is not worth refusing the photo for.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let decoded = DynamicImage::from_decoder(decoder).map_err(fail)?;

    // 5. To RGB, then down to the output size; orienting the small image is cheaper and the
    // long side does not change with rotation.
    let rgb = flatten(decoded);
    let (width, height) = output_size(rgb.width(), rgb.height());
    let rgb = if (width, height) == rgb.dimensions() {
        rgb
    } else {
        image::imageops::resize(&rgb, width, height, FilterType::CatmullRom)
    };
    let mut upright = DynamicImage::ImageRgb8(rgb);
    upright.apply_orientation(orientation);

    // 6. A fresh JPEG: the encoder writes pixels only, so no EXIF, GPS, XMP or ICC survives.
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, OUTPUT_QUALITY)
        .encode_image(&upright)
        .map_err(super::internal)?;
    Ok(ProcessedPhoto {
        jpeg,
        width: upright.width(),
        height: upright.height(),
    })
}

/// The size that fits the long side in [`OUTPUT_MAX_SIDE`], keeping the aspect ratio.
fn output_size(width: u32, height: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= OUTPUT_MAX_SIDE {
        return (width, height);
    }
    let scale = |side: u32| {
        let scaled =
            (u64::from(side) * u64::from(OUTPUT_MAX_SIDE) + u64::from(long) / 2) / u64::from(long);
        // Never 0 for a very thin image; never above the cap.
        u32::try_from(scaled)
            .unwrap_or(OUTPUT_MAX_SIDE)
            .clamp(1, OUTPUT_MAX_SIDE)
    };
    (scale(width), scale(height))
}

/// RGB8, with any transparency composited over white (dropping alpha would show hidden colours,
/// usually black).
fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut out = RgbImage::new(rgba.width(), rgba.height());
    for (dst, src) in out.pixels_mut().zip(rgba.pixels()) {
        let alpha = u16::from(src[3]);
        let over_white = |c: u8| {
            let mixed = (u16::from(c) * alpha + 255 * (255 - alpha) + 127) / 255;
            u8::try_from(mixed).unwrap_or(u8::MAX)
        };
        *dst = Rgb([over_white(src[0]), over_white(src[1]), over_white(src[2])]);
    }
    out
}

fn decode_error(err: ImageError, limits: &PhotoLimits, label: &str) -> AppError {
    match err {
        ImageError::Limits(limit) => match limit.kind() {
            LimitErrorKind::DimensionError => AppError::invalid(format!(
                "{label} is too large: at most {} pixels on a side.",
                limits.max_side
            )),
            _ => AppError::invalid(format!(
                "{label} is too large: it has too many pixels to process. Please use a smaller image."
            )),
        },
        ImageError::Unsupported(_) => AppError::invalid(format!(
            "{label} uses a kind of JPEG, PNG or WebP that is not supported."
        )),
        // Truncated data surfaces as an I/O error from the in-memory reader.
        ImageError::Decoding(_) | ImageError::IoError(_) => AppError::invalid(format!(
            "{label} could not be read: the file is damaged or incomplete."
        )),
        other => super::internal(other),
    }
}

/// Whole megabytes when exact ("10"), otherwise one decimal ("2.5").
fn megabytes(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes.is_multiple_of(MIB) {
        format!("{}", bytes / MIB)
    } else {
        format!("{:.1}", bytes as f64 / MIB as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{self, has_exif, has_gps};
    use super::*;
    use std::time::{Duration, Instant};

    fn ok(bytes: &[u8]) -> ProcessedPhoto {
        process(bytes, &PhotoLimits::default(), "Front photo").expect("photo should be accepted")
    }

    fn refused(bytes: &[u8], limits: &PhotoLimits) -> String {
        match process(bytes, limits, "Front photo") {
            Err(AppError::Invalid(msg)) => msg,
            Err(other) => panic!("expected a 400, got {other:?}"),
            Ok(photo) => panic!(
                "expected a refusal, got a {}x{} photo",
                photo.width, photo.height
            ),
        }
    }

    fn decode(jpeg: &[u8]) -> RgbImage {
        let image =
            image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg).expect("output is a JPEG");
        image.into_rgb8()
    }

    #[test]
    fn gps_fixture_really_carries_gps_and_output_carries_no_metadata() {
        let input = fixtures::jpeg_with_gps(64, 48);
        assert!(has_exif(&input), "the fixture must have an EXIF segment");
        assert!(has_gps(&input), "the fixture must have a GPS pointer");
        // The decoder agrees there is EXIF, so the fixture is a realistic one.
        let mut decoder = ImageReader::new(Cursor::new(&input[..]))
            .with_guessed_format()
            .unwrap()
            .into_decoder()
            .unwrap();
        assert!(decoder.exif_metadata().unwrap().is_some());

        let out = ok(&input);
        assert_eq!((out.width, out.height), (64, 48));
        assert!(!has_exif(&out.jpeg));
        assert!(!has_gps(&out.jpeg));
        // No APP1 (EXIF or XMP), APP2 (ICC), APP13 (IPTC) or comment segments at all.
        let segments = fixtures::segments(&out.jpeg);
        assert_eq!(
            segments.last().map(|s| s.0),
            Some(0xD9),
            "output parses to EOI"
        );
        let kept: Vec<u8> = segments
            .into_iter()
            .map(|(marker, _)| marker)
            .filter(|&m| (0xE1..=0xEF).contains(&m) || m == 0xFE)
            .collect();
        assert!(kept.is_empty(), "metadata segments left: {kept:02x?}");
        // And the output is a real image with the right content.
        let pixels = decode(&out.jpeg);
        assert_eq!(pixels.dimensions(), (64, 48));
    }

    #[test]
    fn png_and_webp_are_accepted() {
        let out = ok(&fixtures::png(30, 20));
        assert_eq!((out.width, out.height), (30, 20));
        assert_eq!(&out.jpeg[..2], &[0xFF, 0xD8]);

        let mut webp = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
            .encode(
                &fixtures::pattern(30, 20).into_raw(),
                30,
                20,
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        let out = ok(&webp);
        assert_eq!((out.width, out.height), (30, 20));
        assert_eq!(&out.jpeg[..2], &[0xFF, 0xD8]);
    }

    #[test]
    fn transparency_becomes_white() {
        let clear = image::RgbaImage::from_pixel(8, 8, image::Rgba([0, 0, 0, 0]));
        let mut png = Vec::new();
        DynamicImage::ImageRgba8(clear)
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let pixels = decode(&ok(&png).jpeg);
        assert!(
            pixels.pixels().all(|p| p.0.iter().all(|&c| c > 240)),
            "{:?}",
            pixels.get_pixel(0, 0)
        );
    }

    #[test]
    fn other_content_is_refused_whatever_it_would_be_called() {
        let not_images: [&[u8]; 6] = [
            b"hello, this is plain text pretending to be photo.jpg",
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
            b"",
            b"\xFF",
        ];
        for bytes in not_images {
            assert_eq!(
                refused(bytes, &PhotoLimits::default()),
                "Front photo is not a JPEG, PNG or WebP image.",
                "for {:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn corrupt_images_are_refused_with_a_clear_message() {
        let jpeg = fixtures::jpeg_with_orientation(64, 64, 1);
        let png = fixtures::png(64, 64);
        for truncated in [&jpeg[..jpeg.len() / 3], &png[..png.len() / 2], &png[..20]] {
            let msg = refused(truncated, &PhotoLimits::default());
            assert!(msg.starts_with("Front photo "), "{msg}");
            assert!(
                msg.contains("damaged") || msg.contains("not a JPEG"),
                "{msg}"
            );
        }
    }

    #[test]
    fn pixel_flood_is_refused_from_its_header() {
        let flood = fixtures::pixel_flood_png(60_000);
        assert!(
            flood.len() < 200,
            "the flood file is tiny: {} bytes",
            flood.len()
        );
        let started = Instant::now();
        let msg = refused(&flood, &PhotoLimits::default());
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(
            msg,
            "Front photo is too large: at most 8192 pixels on a side."
        );

        // Within the side limit but over the memory budget: refused before allocating.
        let limits = PhotoLimits {
            max_alloc: 1024 * 1024,
            ..PhotoLimits::default()
        };
        let msg = refused(&fixtures::pixel_flood_png(4000), &limits);
        assert!(msg.starts_with("Front photo is too large"), "{msg}");
    }

    #[test]
    fn oversize_uploads_are_refused_before_parsing() {
        let limits = PhotoLimits {
            max_bytes: 1024 * 1024,
            ..PhotoLimits::default()
        };
        let mut big = fixtures::png(8, 8);
        big.resize(1024 * 1024 + 1, 0);
        assert_eq!(
            refused(&big, &limits),
            "Front photo is too large: at most 1 MB."
        );
        assert_eq!(megabytes(10 * 1024 * 1024), "10");
        assert_eq!(megabytes(2_621_440), "2.5");
        // Exactly at the limit is fine (trailing bytes after IEND are ignored by the decoder).
        let mut at_limit = fixtures::png(8, 8);
        at_limit.resize(1024 * 1024, 0);
        assert!(process(&at_limit, &limits, "Front photo").is_ok());
    }

    #[test]
    fn exif_orientation_is_applied() {
        // 40x20: red left half, blue right half. Orientation 6 means "rotate 90° clockwise to
        // view", so upright it is 20x40 with red on top.
        let input = fixtures::jpeg_with_orientation(40, 20, 6);
        let out = ok(&input);
        assert_eq!((out.width, out.height), (20, 40));
        assert!(!has_exif(&out.jpeg));
        let pixels = decode(&out.jpeg);
        let top = pixels.get_pixel(10, 5);
        let bottom = pixels.get_pixel(10, 35);
        assert!(top[0] > 150 && top[2] < 100, "top should be red: {top:?}");
        assert!(
            bottom[2] > 150 && bottom[0] < 100,
            "bottom should be blue: {bottom:?}"
        );

        // Orientation 1 leaves the image as it is.
        let out = ok(&fixtures::jpeg_with_orientation(40, 20, 1));
        assert_eq!((out.width, out.height), (40, 20));
    }

    #[test]
    fn large_images_are_downscaled_keeping_the_aspect_ratio() {
        let out = ok(&fixtures::png(3000, 1000));
        assert_eq!((out.width, out.height), (2048, 683));
        assert_eq!(decode(&out.jpeg).dimensions(), (2048, 683));

        assert_eq!(output_size(1000, 3000), (683, 2048));
        assert_eq!(output_size(2048, 10), (2048, 10));
        assert_eq!(output_size(8192, 1), (2048, 1));
        assert_eq!(output_size(640, 480), (640, 480));
    }
}
