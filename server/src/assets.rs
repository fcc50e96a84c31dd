//! Pre-compresses the built site's files (brotli and gzip, at their best in a release build) so
//! the static file handler can serve `.br`/`.gz` siblings without compressing on every request.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

const COMPRESSIBLE: &[&str] = &["wasm", "js", "css", "svg", "html", "json", "txt"];

/// Compresses every compressible file under `dir` whose `.br`/`.gz` is missing or older.
/// Writes go through a temporary file and a rename, so servers sharing a directory never see
/// half a file.
pub fn precompress(dir: &Path) -> std::io::Result<usize> {
    let mut written = 0;
    for path in files_under(dir)? {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if !COMPRESSIBLE.contains(&ext) {
            continue;
        }
        let original = fs::read(&path)?;
        for (suffix, compress) in [
            ("br", brotli_bytes as fn(&[u8]) -> std::io::Result<Vec<u8>>),
            ("gz", gzip_bytes),
        ] {
            let target = PathBuf::from(format!("{}.{suffix}", path.display()));
            if is_fresh(&target, &path) {
                continue;
            }
            let tmp = PathBuf::from(format!(
                "{}.{suffix}.tmp{}",
                path.display(),
                std::process::id()
            ));
            fs::write(&tmp, compress(&original)?)?;
            fs::rename(&tmp, &target)?;
            written += 1;
        }
    }
    Ok(written)
}

fn files_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    Ok(out)
}

fn is_fresh(compressed: &Path, original: &Path) -> bool {
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    matches!((modified(compressed), modified(original)), (Some(c), Some(o)) if c >= o)
}

/// Brotli's quality: the best for what is shipped. Brotli is generic code, compiled unoptimised
/// into a debug server, where quality 11 kept a core busy for about 5 minutes on the debug
/// build's much larger WASM; quality 5 takes seconds there.
const BROTLI_QUALITY: u32 = if cfg!(debug_assertions) { 5 } else { 11 };

fn brotli_bytes(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, BROTLI_QUALITY, 22);
        writer.write_all(data)?;
    }
    Ok(out)
}

/// As for brotli: the best when shipped, quicker in a debug build.
const GZIP_LEVEL: flate2::Compression = if cfg!(debug_assertions) {
    flate2::Compression::new(6)
} else {
    flate2::Compression::best()
};

fn gzip_bytes(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), GZIP_LEVEL);
    encoder.write_all(data)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_br_and_gz_once() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("app.js"), "console.log('hi');".repeat(100)).unwrap();
        fs::write(dir.path().join("photo.png"), b"not compressible").unwrap();
        assert_eq!(precompress(dir.path()).unwrap(), 2);
        assert!(dir.path().join("app.js.br").exists());
        assert!(dir.path().join("app.js.gz").exists());
        assert!(!dir.path().join("photo.png.br").exists());
        assert_eq!(precompress(dir.path()).unwrap(), 0);
    }
}
