//! The backup file: one tar archive of entries, then `manifest.json` listing every entry with
//! its size and SHA-256, then `manifest.sha256` with the manifest's own digest.
//!
//! The tar crate reads and writes the format. Its I/O is blocking, so each archive is worked on
//! by one blocking thread that the async side feeds (writing) or drains (reading) through a
//! small channel: memory holds a couple of entries at most, whatever the backup's size.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use tokio::sync::mpsc;

/// Names this format in the manifest; a reader refuses any other.
pub const FORMAT: &str = "coachroom-backup/1";
pub const MANIFEST: &str = "manifest.json";
pub const MANIFEST_DIGEST: &str = "manifest.sha256";
/// The largest manifest a reader takes into memory (a million entries fit well within it).
const MANIFEST_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// One entry as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntrySum {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// How many rows of one table the backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCount {
    pub name: String,
    pub rows: u64,
}

/// What a backup holds and how to check it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// Milliseconds since the Unix epoch, when the database snapshot was taken.
    pub created_at: i64,
    /// The Coachroom version that wrote it.
    pub app_version: String,
    /// `sqlite` or `postgres`: where it was taken (it restores into either).
    pub backend: String,
    /// The newest migration of the database it was taken from; a restore needs the same.
    pub schema_version: i64,
    /// Owners (clients, workspaces) that had a data key when the backup was taken. The keys
    /// themselves are never in a backup; a restore takes them from the current key file, and an
    /// owner listed here whose key is gone from it was erased since.
    pub key_owners: Vec<String>,
    pub tables: Vec<TableCount>,
    pub objects: u64,
    /// Photos whose rows are in the snapshot but whose objects were deleted before they were
    /// copied (their client or check-in was deleted while the backup ran).
    pub objects_missing: u64,
    pub entries: Vec<EntrySum>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex_of(&Sha256::digest(bytes))
}

fn hex_of(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

const ABANDONED: &str = "the backup was abandoned before its manifest";

enum ToWriter {
    Entry(String, Vec<u8>),
    Finish(Box<Manifest>),
}

/// Writes an archive to a file from a blocking thread. Dropping it without
/// [`finish`](Self::finish) leaves an incomplete file that no reader accepts.
pub struct Writer {
    sender: mpsc::Sender<ToWriter>,
    thread: tokio::task::JoinHandle<Result<Manifest, String>>,
}

impl Writer {
    pub fn start(file: File, mtime_secs: u64) -> Self {
        let (sender, mut receiver) = mpsc::channel::<ToWriter>(2);
        let thread = tokio::task::spawn_blocking(move || {
            let io = |e: std::io::Error| format!("cannot write the backup: {e}");
            let mut builder = tar::Builder::new(file);
            let mut sums = Vec::new();
            let append = |builder: &mut tar::Builder<File>, name: &str, bytes: &[u8]| {
                let mut header = tar::Header::new_gnu();
                header.set_size(bytes.len() as u64);
                header.set_mode(0o600);
                header.set_mtime(mtime_secs);
                header.set_entry_type(tar::EntryType::Regular);
                builder.append_data(&mut header, name, bytes)
            };
            while let Some(message) = receiver.blocking_recv() {
                match message {
                    ToWriter::Entry(name, bytes) => {
                        append(&mut builder, &name, &bytes).map_err(io)?;
                        sums.push(EntrySum {
                            sha256: sha256_hex(&bytes),
                            bytes: bytes.len() as u64,
                            name,
                        });
                    }
                    ToWriter::Finish(mut manifest) => {
                        manifest.entries = std::mem::take(&mut sums);
                        let json = serde_json::to_vec_pretty(&manifest)
                            .map_err(|e| format!("cannot write the manifest: {e}"))?;
                        append(&mut builder, MANIFEST, &json).map_err(io)?;
                        let digest = sha256_hex(&json);
                        append(&mut builder, MANIFEST_DIGEST, digest.as_bytes()).map_err(io)?;
                        let mut file = builder.into_inner().map_err(io)?;
                        file.flush().map_err(io)?;
                        file.sync_all().map_err(io)?;
                        return Ok(*manifest);
                    }
                }
            }
            Err(ABANDONED.to_owned())
        });
        Self { sender, thread }
    }

    /// Adds one entry (written in the order added).
    pub async fn add(&self, name: String, bytes: Vec<u8>) -> Result<(), String> {
        if self
            .sender
            .send(ToWriter::Entry(name, bytes))
            .await
            .is_err()
        {
            return Err("the backup writer stopped".to_owned());
        }
        Ok(())
    }

    /// Stops without a manifest (the file stays incomplete); returns the writer's own error, if
    /// it stopped on one (a full disk, say).
    pub async fn abandon(self) -> Option<String> {
        drop(self.sender);
        match self.thread.await {
            Ok(Err(e)) if e != ABANDONED => Some(e),
            Ok(_) => None,
            Err(e) => Some(format!("the backup writer failed: {e}")),
        }
    }

    /// Writes the manifest (with the sums of every entry added) and syncs the file.
    pub async fn finish(self, manifest: Manifest) -> Result<Manifest, String> {
        // If the thread stopped on an error, its error is the one to report.
        let _ = self.sender.send(ToWriter::Finish(Box::new(manifest))).await;
        drop(self.sender);
        self.thread
            .await
            .map_err(|e| format!("the backup writer failed: {e}"))?
    }
}

/// Checks a whole backup file without trusting any of it: every entry's size and digest against
/// the manifest, the manifest against its digest, and that nothing is missing, extra or cut off.
/// Blocking: call from a blocking thread.
pub fn verify_file(path: &Path) -> Result<Manifest, String> {
    let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let not_backup = |e: std::io::Error| {
        format!(
            "{} is not a readable Coachroom backup ({e}); it may be truncated",
            path.display()
        )
    };
    let mut archive = tar::Archive::new(file);
    let mut sums: Vec<EntrySum> = Vec::new();
    let mut manifest_json: Option<Vec<u8>> = None;
    let mut manifest_digest: Option<String> = None;
    for entry in archive.entries().map_err(not_backup)? {
        let mut entry = entry.map_err(not_backup)?;
        let name = entry
            .path()
            .map_err(not_backup)?
            .to_string_lossy()
            .into_owned();
        if manifest_digest.is_some() {
            return Err(format!(
                "{}: has an entry after its manifest ({name}): refused",
                path.display()
            ));
        }
        if name == MANIFEST {
            if entry.size() > MANIFEST_MAX_BYTES {
                return Err(format!("{}: its manifest is too large", path.display()));
            }
            let mut json = Vec::new();
            entry.read_to_end(&mut json).map_err(not_backup)?;
            manifest_json = Some(json);
        } else if name == MANIFEST_DIGEST {
            let mut digest = String::new();
            entry
                .take(128)
                .read_to_string(&mut digest)
                .map_err(not_backup)?;
            manifest_digest = Some(digest.trim().to_owned());
        } else {
            if manifest_json.is_some() {
                return Err(format!(
                    "{}: has an entry between its manifest and its digest: refused",
                    path.display()
                ));
            }
            let mut hasher = Sha256::new();
            let bytes =
                std::io::copy(&mut entry, &mut HashWriter(&mut hasher)).map_err(not_backup)?;
            sums.push(EntrySum {
                name,
                bytes,
                sha256: hex_of(&hasher.finalize()),
            });
        }
    }
    let (Some(json), Some(digest)) = (manifest_json, manifest_digest) else {
        return Err(format!(
            "{}: ends before its manifest: the backup is incomplete (truncated?) and cannot be used",
            path.display()
        ));
    };
    if sha256_hex(&json) != digest {
        return Err(format!(
            "{}: its manifest does not match its digest: the backup was altered or damaged",
            path.display()
        ));
    }
    let manifest: Manifest = serde_json::from_slice(&json)
        .map_err(|e| format!("{}: its manifest is not readable: {e}", path.display()))?;
    if manifest.format != FORMAT {
        return Err(format!(
            "{}: is a {:?} backup; this Coachroom reads {FORMAT}",
            path.display(),
            manifest.format
        ));
    }
    if manifest.entries.len() != sums.len() {
        return Err(format!(
            "{}: holds {} entries but its manifest lists {}: the backup was altered or damaged",
            path.display(),
            sums.len(),
            manifest.entries.len()
        ));
    }
    if let Some((found, listed)) = sums
        .iter()
        .zip(&manifest.entries)
        .find(|(found, listed)| found != listed)
    {
        return Err(format!(
            "{}: entry {} does not match its manifest (listed {} bytes, sha256 {}; found {} \
             bytes, sha256 {}): the backup was altered or damaged",
            path.display(),
            found.name,
            listed.bytes,
            listed.sha256,
            found.bytes,
            found.sha256
        ));
    }
    Ok(manifest)
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One entry read back.
pub struct Entry {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Reads the entries of a backup that [`verify_file`] accepted, in order, from a blocking
/// thread, checking each against `manifest` again (the file could change between the two
/// reads). Stops at the manifest. An error ends the stream.
pub fn read_entries(path: &Path, manifest: &Manifest) -> mpsc::Receiver<Result<Entry, String>> {
    let (sender, receiver) = mpsc::channel(2);
    let path = path.to_owned();
    let expected = manifest.entries.clone();
    tokio::task::spawn_blocking(move || {
        let result = (|| -> Result<(), String> {
            let io = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
            let file = File::open(&path).map_err(io)?;
            let mut archive = tar::Archive::new(file);
            let mut expected = expected.into_iter();
            for entry in archive.entries().map_err(io)? {
                let mut entry = entry.map_err(io)?;
                let name = entry.path().map_err(io)?.to_string_lossy().into_owned();
                if name == MANIFEST {
                    if expected.next().is_some() {
                        return Err(format!("{}: changed while it was read", path.display()));
                    }
                    return Ok(());
                }
                let listed = expected
                    .next()
                    .ok_or_else(|| format!("{}: changed while it was read", path.display()))?;
                let mut bytes = Vec::with_capacity(listed.bytes.min(64 << 20) as usize);
                entry.read_to_end(&mut bytes).map_err(io)?;
                if name != listed.name
                    || bytes.len() as u64 != listed.bytes
                    || sha256_hex(&bytes) != listed.sha256
                {
                    return Err(format!("{}: changed while it was read", path.display()));
                }
                if sender.blocking_send(Ok(Entry { name, bytes })).is_err() {
                    return Ok(());
                }
            }
            Err(format!("{}: changed while it was read", path.display()))
        })();
        if let Err(e) = result {
            let _ = sender.blocking_send(Err(e));
        }
    });
    receiver
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.to_owned(),
            created_at: 1,
            app_version: "test".to_owned(),
            backend: "sqlite".to_owned(),
            schema_version: 10,
            key_owners: vec![],
            tables: vec![],
            objects: 0,
            objects_missing: 0,
            entries: vec![],
        }
    }

    async fn write(path: &Path, entries: &[(&str, &[u8])]) -> Manifest {
        let writer = Writer::start(File::create(path).unwrap(), 0);
        for (name, bytes) in entries {
            writer
                .add((*name).to_owned(), bytes.to_vec())
                .await
                .unwrap();
        }
        writer.finish(manifest()).await.unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_archive_reads_back_and_any_change_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.tar");
        let long_name = format!("objects/photos/{}/x.jpg", "a".repeat(150));
        let written = write(
            &path,
            &[
                ("tables/users/1.jsonl", b"[\"id\"]\n"),
                (&long_name, b"CRS1...."),
            ],
        )
        .await;
        assert_eq!(written.entries.len(), 2);
        let read = verify_file(&path).unwrap();
        assert_eq!(read.entries, written.entries);
        let mut entries = read_entries(&path, &read);
        let first = entries.recv().await.unwrap().unwrap();
        assert_eq!(first.name, "tables/users/1.jsonl");
        assert_eq!(entries.recv().await.unwrap().unwrap().name, long_name);
        assert!(entries.recv().await.is_none());

        let bytes = std::fs::read(&path).unwrap();
        // Cut short anywhere: refused.
        for cut in [bytes.len() / 3, bytes.len() - 1100] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let err = verify_file(&path).unwrap_err();
            assert!(
                err.contains("truncated") || err.contains("incomplete"),
                "{err}"
            );
        }
        // One byte of an entry changed: refused.
        let at = bytes.windows(8).position(|w| w == b"CRS1....").unwrap();
        let mut tampered = bytes.clone();
        tampered[at + 5] = b'!';
        std::fs::write(&path, &tampered).unwrap();
        let err = verify_file(&path).unwrap_err();
        assert!(err.contains("altered or damaged"), "{err}");
    }
}
