//! "Import from another platform" (`coach/import`): a coach uploads a Fitness Coaching Data
//! Standard v1 package, as `open-coaching-data.json` or a ZIP holding it, and gets its clients,
//! check-ins, forms and plans in their workspace.
//!
//! The upload goes through four gates before anything is written, each refusing with a 4xx
//! that says where:
//! 1. size: the body limit of upload paths (413), and the JSON read out of a ZIP is cut at
//!    [`PACKAGE_JSON_MAX`] however small the ZIP (a ZIP bomb is refused, not inflated);
//! 2. the ZIP itself: at most [`ZIP_ENTRIES_MAX`] entries, none with a path that climbs out
//!    (`..`), is absolute, or holds a backslash or NUL;
//! 3. the schema (vendored in `app/schemas/`), with the first errors by JSON path;
//! 4. our own parsers (`fcds_import`), again by JSON path.
//!
//! Then `store::imports` writes it all in one transaction, or, for a dry run, counts and rolls
//! back. One import runs at a time on a server ([`IMPORTS`]; the next waits up to
//! [`IMPORT_WAIT`]): parsing a large package takes memory, and an import holds the database's
//! writer.

use super::fcds_import::{self, Problem};
use super::principal::CoachPrincipal;
use super::state::AppState;
use super::transcript_intake::read_part;
use super::{authz, internal, now_millis, store};
use crate::domain::ImportReport;
use crate::AppError;
use futures_util::AsyncReadExt;
use serde_json::Value;
use std::sync::OnceLock;
use tokio::sync::Semaphore;

/// The largest upload: a package's JSON, or a ZIP holding it (photos and all do not fit; the
/// importer reads only `open-coaching-data.json`).
pub const UPLOAD_MAX: usize = 24 * 1024 * 1024;
/// The most JSON one import reads, out of a ZIP or not.
pub const PACKAGE_JSON_MAX: u64 = 24 * 1024 * 1024;
/// Entries a ZIP may hold.
pub const ZIP_ENTRIES_MAX: usize = 10_000;
/// The package's file name, in a ZIP.
pub const PACKAGE_FILE: &str = "open-coaching-data.json";

static IMPORTS: Semaphore = Semaphore::const_new(1);
/// How long an import waits for the one before it, before it is refused (503 `busy`).
const IMPORT_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

const SCHEMA: &str = include_str!("../../schemas/open-coaching-data.v1.schema.json");

fn validator() -> Result<&'static jsonschema::Validator, AppError> {
    static VALIDATOR: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let schema: Value = serde_json::from_str(SCHEMA).map_err(|e| e.to_string())?;
            jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| internal(format!("the FCDS schema does not load: {e}")))
}

/// The refusal for a package with problems: the first few, by path.
fn refusal(problems: &[Problem]) -> AppError {
    let shown: Vec<String> = problems
        .iter()
        .take(5)
        .map(|p| {
            let path = if p.path.is_empty() { "/" } else { &p.path };
            format!("{path}: {}", p.message)
        })
        .collect();
    let more = match problems.len().saturating_sub(shown.len()) {
        0 => String::new(),
        // Only the first few are looked for: there may be more than were counted.
        n if problems.len() >= fcds_import::PROBLEMS_MAX => format!(" (and at least {n} more)"),
        n => format!(" (and {n} more)"),
    };
    AppError::invalid(format!(
        "The package cannot be imported: {}{more}.",
        shown.join("; ")
    ))
}

/// Whether a ZIP entry's name stays inside the archive's folder.
fn safe_entry_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.contains('\0')
        && !name.split('/').any(|part| part == "..")
        && name.get(1..2).is_none_or(|c| c != ":")
}

/// The package's JSON out of a ZIP: refused if any entry's path is unsafe, if there are too
/// many entries, or if the package inflates beyond [`PACKAGE_JSON_MAX`].
// The in-memory reader is deprecated in 0.0.19 for the new `read1` module, whose API is not
// settled yet; this one reads the central directory and inflates one entry, which is all we need.
#[allow(deprecated)]
async fn json_from_zip(bytes: Vec<u8>) -> Result<Vec<u8>, AppError> {
    use async_zip::base::read::mem::ZipFileReader;
    let unreadable = |e: async_zip::error::ZipError| {
        AppError::invalid(format!("The ZIP file cannot be read ({e})."))
    };
    let zip = ZipFileReader::new(bytes).await.map_err(unreadable)?;
    let entries = zip.file().entries();
    if entries.len() > ZIP_ENTRIES_MAX {
        return Err(AppError::invalid(format!(
            "The ZIP file has more than {ZIP_ENTRIES_MAX} entries."
        )));
    }
    let mut package = None;
    for (index, entry) in entries.iter().enumerate() {
        let name = entry
            .filename()
            .as_str()
            .map_err(|_| AppError::invalid("A ZIP entry's name is not UTF-8."))?;
        if !safe_entry_name(name) {
            return Err(AppError::invalid(format!(
                "The ZIP file has an entry with an unsafe path: \"{}\".",
                name.chars().take(80).collect::<String>()
            )));
        }
        let at_top = name == PACKAGE_FILE;
        let in_folder = name.ends_with(&format!("/{PACKAGE_FILE}"));
        if at_top || (in_folder && package.is_none()) {
            package = Some(index);
        }
    }
    let index =
        package.ok_or_else(|| AppError::invalid(format!("The ZIP file has no {PACKAGE_FILE}.")))?;
    let reader = zip.reader_with_entry(index).await.map_err(unreadable)?;
    let mut json = Vec::new();
    reader
        .take(PACKAGE_JSON_MAX + 1)
        .read_to_end(&mut json)
        .await
        .map_err(|e| AppError::invalid(format!("The ZIP file cannot be read ({e}).")))?;
    if json.len() as u64 > PACKAGE_JSON_MAX {
        return Err(AppError::invalid(format!(
            "{PACKAGE_FILE} inflates to more than {} MB.",
            PACKAGE_JSON_MAX / (1024 * 1024)
        )));
    }
    Ok(json)
}

/// At most 200 characters of a message.
fn short(message: &str) -> String {
    match message.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}

/// Checks the package against the schema and reads it (CPU-bound: off the async workers).
fn parse(bytes: &[u8]) -> Result<fcds_import::ImportPackage, AppError> {
    let package: Value = serde_json::from_slice(bytes).map_err(|e| {
        AppError::invalid(format!(
            "The package is not JSON (line {}, column {}).",
            e.line(),
            e.column()
        ))
    })?;
    let problems: Vec<Problem> = validator()?
        .iter_errors(&package)
        .take(fcds_import::PROBLEMS_MAX)
        .map(|e| Problem {
            path: e.instance_path().to_string(),
            // The message quotes the failing value, which may be a whole section.
            message: short(&e.to_string()),
        })
        .collect();
    if !problems.is_empty() {
        return Err(refusal(&problems));
    }
    fcds_import::read(&package, now_millis()).map_err(|problems| refusal(&problems))
}

/// What the upload said.
struct Upload {
    dry_run: bool,
    package: Vec<u8>,
}

async fn read(mut multipart: multer::Multipart<'static>) -> Result<Upload, AppError> {
    let mut dry_run = None;
    let mut package = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::invalid(format!("The upload could not be read ({e}).")))?
    {
        match field.name().unwrap_or_default() {
            "dry_run" => {
                let bytes = read_part(&mut field, 16, "dry_run field").await?;
                dry_run = Some(match String::from_utf8_lossy(&bytes).trim() {
                    "true" | "1" | "on" => true,
                    "false" | "0" | "" => false,
                    _ => return Err(AppError::invalid("dry_run must be true or false.")),
                });
            }
            "package" => {
                let bytes = read_part(&mut field, UPLOAD_MAX, "package").await?;
                if !bytes.is_empty() {
                    package = Some(bytes);
                }
            }
            other => {
                return Err(AppError::invalid(format!(
                    "Unknown field \"{}\" in the import.",
                    other.chars().take(40).collect::<String>()
                )))
            }
        }
    }
    Ok(Upload {
        // Only an explicit "false" imports: a form that forgot the field is a dry run.
        dry_run: dry_run.unwrap_or(true),
        package: package.ok_or_else(|| {
            AppError::invalid("package: choose an open-coaching-data.json or a ZIP holding it.")
        })?,
    })
}

/// Reads, checks and imports (or, dry run, counts) one upload for the coach's own workspace.
pub async fn receive(
    state: &AppState,
    coach: &CoachPrincipal,
    multipart: multer::Multipart<'static>,
) -> Result<ImportReport, AppError> {
    // The body is read first (a slow upload holds no import slot), then it waits its turn,
    // but not for long. The slot goes into the parse and back: a parse whose request has gone
    // still holds it until it ends.
    let upload = read(multipart).await?;
    let one_at_a_time = tokio::time::timeout(IMPORT_WAIT, IMPORTS.acquire())
        .await
        .map_err(|_| AppError::Busy)?
        .map_err(internal)?;
    let json = if upload.package.starts_with(b"PK\x03\x04") {
        json_from_zip(upload.package).await?
    } else {
        upload.package
    };
    let (_one_at_a_time, package) =
        tokio::task::spawn_blocking(move || (one_at_a_time, parse(&json)))
            .await
            .map_err(internal)?;
    let package = package?;
    let workspace = authz::own_workspace(coach);
    store::imports::import(&state.db, &workspace, &package, upload.dry_run).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_zip_paths_are_found() {
        for bad in [
            "../x.json",
            "a/../../x",
            "/etc/passwd",
            "a\\..\\b",
            "C:/x",
            "",
            "a\0b",
        ] {
            assert!(!safe_entry_name(bad), "{bad:?}");
        }
        for good in [
            "open-coaching-data.json",
            "export/open-coaching-data.json",
            "a..b/c",
        ] {
            assert!(safe_entry_name(good), "{good:?}");
        }
    }

    #[test]
    fn the_schema_loads_and_refuses_by_path() {
        let err = parse(br#"{"manifest": {"schema_name": 3}}"#).unwrap_err();
        let AppError::Invalid(message) = err else {
            panic!("not invalid: {err:?}");
        };
        assert!(message.contains("/manifest"), "{message}");
        assert!(matches!(parse(b"{oops"), Err(AppError::Invalid(_))));
    }
}
