//! The OpenAPI 3.1 document of the HTTP API, served at `GET /api/openapi.json`, made from the
//! code rather than written beside it: each server fn's path and media types come from its
//! `ServerFn` impl, the schemas of its arguments, answer and error from `schemars` (which reads
//! the same serde attributes that shape the wire format). Integrators read it; the fuzzing run
//! (`scripts/fuzz-api`) holds the server to it; an integration test fails when a registered
//! server fn is missing from [`document`]'s list.

use super::router::SESSION_COOKIE;
use super::transcript_intake::{MAX_AUDIO_BYTES, MAX_TRANSCRIPT_BYTES};
use super::workspace_import::UPLOAD_MAX;
use crate::api::{
    access_log, account, ai, auth, checkins, clients, deletion, forms, goals, invites, legal, mcp,
    notes, operator, plans, portal, profile, sessions, support, today, workspace,
};
use crate::domain::FORM_FIELD_PREFIX;
use crate::domain::{Metric, PhotoSlot};
use crate::AppError;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{json, Map, Value};
use server_fn::codec::Encoding;
use server_fn::{ContentType, Http, ServerFn};
use std::sync::LazyLock;

/// Where schemas live in the document; `$ref`s point here.
const SCHEMAS: &str = "/components/schemas";

/// The document, built once (it only depends on the code) and served as bytes.
pub fn json() -> &'static [u8] {
    static JSON: LazyLock<Vec<u8>> =
        LazyLock::new(|| serde_json::to_vec(&document()).unwrap_or_default());
    &JSON
}

/// `GET /api/openapi.json`: public, like API.md; it describes calls, never data.
pub async fn serve() -> Response {
    ([(CONTENT_TYPE, "application/json")], json()).into_response()
}

/// The media types and method of a server fn, read from its protocol (`Http<input, output>`),
/// so the document says what the server really decodes and encodes.
pub trait WireFormat {
    /// Lower-case, as OpenAPI's path items spell methods.
    fn method() -> String;
    const REQUEST: &'static str;
    const RESPONSE: &'static str;
}

impl<I: Encoding, O: ContentType> WireFormat for Http<I, O> {
    fn method() -> String {
        I::METHOD.as_str().to_ascii_lowercase()
    }
    const REQUEST: &'static str = I::CONTENT_TYPE;
    const RESPONSE: &'static str = O::CONTENT_TYPE;
}

const FORM: &str = "application/x-www-form-urlencoded";

/// A form has no null: an optional argument (`Option<T>`) is one left out, or a value. So the
/// top-level fields of a form-encoded argument struct lose the `null` serde_json would allow.
fn form_fields_without_null(definition: &mut Map<String, Value>) {
    let Some(Value::Object(properties)) = definition.get_mut("properties") else {
        return;
    };
    for field in properties.values_mut() {
        let Some(field) = field.as_object_mut() else {
            continue;
        };
        if let Some(Value::Array(types)) = field.get_mut("type") {
            types.retain(|t| t != "null");
            if let [only] = types.as_slice() {
                let only = only.clone();
                field.insert("type".into(), only);
            }
        }
    }
}

/// One operation before its request schema's `$ref`s are final (see [`Builder::finish`]).
struct Operation {
    path: String,
    method: String,
    id: String,
    description: Option<String>,
    /// Media type and schema of the body, from the request (deserialize) generator.
    request: Option<(&'static str, Value)>,
    parameters: Vec<Value>,
    /// Media type and schema of the 200 answer.
    ok: (&'static str, Value),
    ok_description: &'static str,
}

struct Builder {
    /// Schemas of what the server reads: serde's deserialize side (defaults make fields optional).
    requests: SchemaGenerator,
    /// Schemas of what the server writes: the serialize side.
    responses: SchemaGenerator,
    operations: Vec<Operation>,
}

impl Builder {
    fn new() -> Self {
        // JSON Schema 2020-12 is OpenAPI 3.1's dialect; only the definitions move into
        // `components/schemas`. (SchemaSettings::openapi3 would write 3.0's dialect.)
        let settings = SchemaSettings::draft2020_12().with(|s| {
            s.definitions_path = SCHEMAS.into();
            s.meta_schema = None;
        });
        Self {
            requests: settings.clone().for_deserialize().into_generator(),
            responses: settings.for_serialize().into_generator(),
            operations: Vec::new(),
        }
    }

    /// A server fn whose arguments are a serde struct (form-encoded or JSON).
    fn op<T>(&mut self)
    where
        T: ServerFn<Error = AppError> + JsonSchema,
        T::Protocol: WireFormat,
        T::Output: JsonSchema,
    {
        let args = self.requests.subschema_for::<T>();
        // The fn's doc comment is the argument struct's description, after a line the macro
        // adds ("Serialized arguments for the [`f`] server function."), which is dropped.
        let mut description = None;
        // The name schemars gave the struct (`Name2` if another type was `Name` already).
        let name = args
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|target| target.strip_prefix(&ref_to("")))
            .unwrap_or_default()
            .to_owned();
        let definition = self
            .requests
            .definitions_mut()
            .get_mut(&name)
            .and_then(Value::as_object_mut);
        if let Some(definition) = definition {
            if <T::Protocol as WireFormat>::REQUEST == FORM {
                form_fields_without_null(definition);
            }
            if let Some(Value::String(text)) = definition.remove("description") {
                let own = match text.split_once("\n\n") {
                    Some((first, rest)) if first.starts_with("Serialized arguments") => rest,
                    None if text.starts_with("Serialized arguments") => "",
                    _ => &text,
                };
                let own = own.trim();
                if !own.is_empty() {
                    definition.insert("description".into(), own.into());
                    description = Some(own.to_owned());
                }
            }
        }
        self.push::<T>(description, args.to_value());
    }

    /// A multipart upload: the server reads the parts itself, so their schema is given here.
    fn upload<T>(&mut self, description: &str, parts: Value)
    where
        T: ServerFn<Error = AppError>,
        T::Protocol: WireFormat,
        T::Output: JsonSchema,
    {
        self.push::<T>(Some(description.to_owned()), parts);
    }

    fn push<T>(&mut self, description: Option<String>, request: Value)
    where
        T: ServerFn<Error = AppError>,
        T::Protocol: WireFormat,
        T::Output: JsonSchema,
    {
        let ok = self.responses.subschema_for::<T::Output>().to_value();
        self.operations.push(Operation {
            path: T::PATH.to_owned(),
            method: <T::Protocol as WireFormat>::method(),
            id: operation_id(T::PATH),
            description,
            request: Some((<T::Protocol as WireFormat>::REQUEST, request)),
            parameters: Vec::new(),
            ok: (<T::Protocol as WireFormat>::RESPONSE, ok),
            ok_description: "Done; the answer is JSON.",
        });
    }

    /// A plain GET download (not a server fn) of one object named in the path.
    fn download(&mut self, path: &str, param: &str, description: &str) {
        self.operations.push(Operation {
            path: path.to_owned(),
            method: "get".into(),
            id: operation_id(&path.replace(&format!("/{{{param}}}"), "")),
            description: Some(description.to_owned()),
            request: None,
            parameters: vec![json!({
                "name": param,
                "in": "path",
                "required": true,
                "schema": {"type": "string"},
            })],
            ok: (
                "application/pdf",
                json!({"type": "string", "contentMediaType": "application/pdf"}),
            ),
            ok_description: "The PDF, as an attachment.",
        });
    }

    /// A plain GET download (not a server fn) of a ZIP archive about the object named in the path.
    fn download_zip_of(&mut self, path: &str, param: &str, description: &str) {
        self.download(path, param, description);
        if let Some(op) = self.operations.last_mut() {
            op.ok = (
                "application/zip",
                json!({"type": "string", "contentMediaType": "application/zip"}),
            );
            op.ok_description = "The ZIP archive, as an attachment (streamed).";
        }
    }

    /// A plain GET download (not a server fn) of a ZIP archive, with no parameters.
    fn zip_download(&mut self, path: &str, description: &str) {
        self.operations.push(Operation {
            path: path.to_owned(),
            method: "get".into(),
            id: operation_id(path),
            description: Some(description.to_owned()),
            request: None,
            parameters: Vec::new(),
            ok: (
                "application/zip",
                json!({"type": "string", "contentMediaType": "application/zip"}),
            ),
            ok_description: "The ZIP archive, as an attachment (streamed).",
        });
    }

    /// Puts both generators' definitions under `components/schemas`. A type whose request
    /// schema differs from its response schema (e.g. fields with serde defaults are optional
    /// only when read) keeps its name for the response and gets `<Name>Input` for the request;
    /// so does any type that refers to a renamed one.
    fn finish(mut self) -> Value {
        let error = self.responses.subschema_for::<AppError>().to_value();
        let mut schemas = self.responses.take_definitions(true);
        let request_defs = self.requests.take_definitions(true);
        let mut renames = Map::new();
        loop {
            let before = renames.len();
            for (name, schema) in &request_defs {
                if renames.contains_key(&ref_to(name)) {
                    continue;
                }
                let mut schema = schema.clone();
                rename_refs(&mut schema, &renames);
                if schemas
                    .get(name)
                    .is_some_and(|existing| *existing != schema)
                {
                    let mut new_name = format!("{name}Input");
                    while schemas.contains_key(&new_name) || request_defs.contains_key(&new_name) {
                        new_name.push('_');
                    }
                    renames.insert(ref_to(name), Value::String(ref_to(&new_name)));
                }
            }
            if renames.len() == before {
                break;
            }
        }
        for (name, mut schema) in request_defs {
            rename_refs(&mut schema, &renames);
            let name = match renames.get(&ref_to(&name)).and_then(Value::as_str) {
                Some(renamed) => renamed.trim_start_matches(&ref_to("")).to_owned(),
                None => name,
            };
            schemas.insert(name, schema);
        }

        let mut paths = Map::new();
        for mut op in self.operations {
            let mut operation = Map::new();
            operation.insert("operationId".into(), op.id.into());
            if let Some(description) = op.description {
                operation.insert("description".into(), description.into());
            }
            if !op.parameters.is_empty() {
                operation.insert("parameters".into(), op.parameters.into());
            }
            if let Some((media_type, schema)) = op.request.as_mut() {
                rename_refs(schema, &renames);
                operation.insert(
                    "requestBody".into(),
                    json!({"required": true, "content": {*media_type: {"schema": schema}}}),
                );
            }
            let (ok_type, ok_schema) = op.ok;
            operation.insert(
                "responses".into(),
                json!({
                    "200": {
                        "description": op.ok_description,
                        "content": {ok_type: {"schema": ok_schema}},
                    },
                    "default": {
                        "description": "Refused or failed: `kind` names the error and the \
                            HTTP status matches it (see API.md); 429 and 503 answers carry \
                            Retry-After.",
                        "content": {"application/json": {"schema": error}},
                    },
                }),
            );
            let item = paths
                .entry(op.path)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(item) = item {
                item.insert(op.method, Value::Object(operation));
            }
        }

        json!({
            "openapi": "3.1.1",
            "info": {
                "title": "Coachroom",
                "version": env!("CARGO_PKG_VERSION"),
                "description": "Every server function of Coachroom, generated from the code. \
                    Conventions (errors, sessions, who may call what) are in API.md.",
            },
            "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
                },
            },
            // Most calls need a session; a few (sign-up, login, invitations) are for anyone.
            "security": [{"session": []}, {}],
        })
    }
}

fn ref_to(name: &str) -> String {
    format!("#{SCHEMAS}/{name}")
}

/// Rewrites `$ref`s whose target was renamed.
fn rename_refs(value: &mut Value, renames: &Map<String, Value>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                match (key.as_str(), &*inner) {
                    ("$ref", Value::String(target)) => {
                        if let Some(new) = renames.get(target) {
                            *inner = new.clone();
                        }
                    }
                    _ => rename_refs(inner, renames),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renames)),
        _ => {}
    }
}

/// `/api/sessions/insights/save` -> `sessions_insights_save`: unique, like the paths.
fn operation_id(path: &str) -> String {
    path.trim_start_matches("/api/").replace('/', "_")
}

/// The parts of `portal/checkins/submit` (read by `checkin_intake`).
fn checkin_parts() -> Value {
    let mut properties = Map::new();
    for metric in Metric::ALL {
        properties.insert(
            metric.key().into(),
            json!({
                "type": "string",
                "description": format!("{}, as typed, in the coach's units; may be empty.", metric.label()),
            }),
        );
    }
    properties.insert(
        "feedback".into(),
        json!({"type": "string", "description": "Free text, at most 4000 characters."}),
    );
    properties.insert(
        crate::domain::IdempotencyKey::FIELD.into(),
        json!({
            "type": "string",
            "pattern": "^([A-Za-z0-9_-]{16,64})?$",
            "description": "Optional. The same key again answers with the check-in it recorded, and records nothing.",
        }),
    );
    properties.insert(
        crate::server::checkin_intake::SENDER_FIELD.into(),
        json!({
            "type": "string",
            "maxLength": 64,
            "description": "Optional. The user_id of the account the check-in was made for; another account's is refused with 409.",
        }),
    );
    for slot in PhotoSlot::ALL {
        properties.insert(
            slot.field_name().into(),
            json!({
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": format!("{} photo: JPEG, PNG or WebP.", slot.label()),
            }),
        );
    }
    json!({
        "type": "object",
        "properties": properties,
        // Answers to the client's check-in form; any other part is refused.
        "patternProperties": {
            format!("^{}", FORM_FIELD_PREFIX.replace('.', "\\.")): {"type": "string"},
        },
        "additionalProperties": false,
    })
}

/// The parts of `sessions/transcript` (read by `transcript_intake`).
fn transcript_parts() -> Value {
    json!({
        "type": "object",
        "properties": {
            "session_id": {"type": "string"},
            "text": {
                "type": "string",
                "description": format!("A pasted transcript, at most {} MB.", MAX_TRANSCRIPT_BYTES >> 20),
            },
            "file": {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": "A .txt, .vtt or .srt transcript, named by its file name.",
            },
            "audio": {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": format!(
                    "Session audio (mp3, wav, ogg, flac, m4a or webm), at most {} MB; \
                     transcribed by the AI server.",
                    MAX_AUDIO_BYTES >> 20
                ),
            },
        },
        "required": ["session_id"],
        "additionalProperties": false,
    })
}

/// The parts of `coach/import` (read by `workspace_import`).
fn import_parts() -> Value {
    json!({
        "type": "object",
        "properties": {
            "dry_run": {
                "type": "string",
                "enum": ["true", "false"],
                "description": "true (the default) counts and writes nothing; false imports.",
            },
            "package": {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": format!(
                    "open-coaching-data.json (FCDS v1), or a ZIP holding it; at most {} MB.",
                    UPLOAD_MAX >> 20
                ),
            },
        },
        "required": ["package"],
        "additionalProperties": false,
    })
}

/// The whole document. Every server fn is listed here once; the integration test compares this
/// list with the server fns actually registered.
pub fn document() -> Value {
    let mut doc = Builder::new();

    doc.op::<auth::Signup>();
    doc.op::<auth::ConfirmSignup>();
    doc.op::<auth::ForgotPassword>();
    doc.op::<auth::ResetPassword>();
    doc.op::<auth::Login>();
    doc.op::<auth::Logout>();
    doc.op::<auth::WhoAmI>();
    doc.op::<account::ChangePassword>();
    doc.op::<account::ChangeEmail>();
    doc.op::<account::ConfirmEmail>();
    doc.op::<account::TimeZones>();

    doc.op::<profile::GetCoachProfile>();
    doc.op::<profile::UpdateCoachProfile>();

    doc.op::<clients::ListClients>();
    doc.op::<clients::CreateClient>();
    doc.op::<clients::GetClient>();
    doc.op::<clients::UpdateClient>();
    doc.op::<clients::ArchiveClient>();
    doc.op::<clients::DeleteClient>();

    doc.op::<invites::SendInvite>();
    doc.op::<invites::ClientPasswordLink>();
    doc.op::<invites::RevokeInvite>();
    doc.op::<invites::CheckInvite>();
    doc.op::<invites::AcceptInvite>();

    doc.op::<portal::GetPortalHome>();
    doc.op::<portal::MyNextSteps>();
    doc.op::<portal::UpdateContact>();
    doc.op::<portal::UpdateMyTimezone>();

    doc.op::<today::CoachToday>();
    doc.op::<today::CoachNavCounts>();

    doc.op::<notes::ListNotes>();
    doc.op::<notes::CreateNote>();
    doc.op::<notes::DeleteNote>();
    doc.op::<notes::ListTodos>();
    doc.op::<notes::CreateTodo>();
    doc.op::<notes::SetTodoDone>();
    doc.op::<notes::DeleteTodo>();

    doc.upload::<checkins::SubmitCheckin>(
        "A client's check-in: numbers in the coach's units, feedback, up to four photos and \
         the check-in form's answers as `form.<field id>` parts. Nothing is stored unless all \
         of it is valid.",
        checkin_parts(),
    );
    doc.op::<checkins::MyCheckins>();
    doc.op::<checkins::MyCheckin>();
    doc.op::<checkins::MyProgress>();
    doc.op::<checkins::CheckinInbox>();
    doc.op::<checkins::ClientCheckins>();
    doc.op::<checkins::GetCheckin>();
    doc.op::<checkins::ReviewCheckin>();
    doc.op::<checkins::DeleteCheckin>();
    doc.op::<checkins::ClientProgress>();

    doc.op::<goals::ClientGoals>();
    doc.op::<goals::CreateGoal>();
    doc.op::<goals::SetGoalStatus>();
    doc.op::<goals::DeleteGoal>();
    doc.op::<goals::MyGoals>();
    doc.op::<goals::LogHabit>();

    doc.op::<plans::MealPlans>();
    doc.op::<plans::CreateMealPlan>();
    doc.op::<plans::GetMealPlan>();
    doc.op::<plans::SaveMealPlan>();
    doc.op::<plans::CopyMealPlan>();
    doc.op::<plans::ActivateMealPlan>();
    doc.op::<plans::DeleteMealPlan>();
    doc.op::<plans::MyMealPlan>();
    doc.op::<plans::WorkoutPlans>();
    doc.op::<plans::CreateWorkoutPlan>();
    doc.op::<plans::GetWorkoutPlan>();
    doc.op::<plans::SaveWorkoutPlan>();
    doc.op::<plans::CopyWorkoutPlan>();
    doc.op::<plans::ActivateWorkoutPlan>();
    doc.op::<plans::DeleteWorkoutPlan>();
    doc.op::<plans::MyWorkoutPlan>();

    doc.op::<forms::ListForms>();
    doc.op::<forms::CreateForm>();
    doc.op::<forms::GetForm>();
    doc.op::<forms::SaveForm>();
    doc.op::<forms::DeleteForm>();
    doc.op::<forms::AssignForm>();
    doc.op::<forms::FormResponses>();
    doc.op::<forms::ClientCheckinForm>();
    doc.op::<forms::SetCheckinForm>();
    doc.op::<forms::MyForms>();
    doc.op::<forms::MyForm>();
    doc.op::<forms::SubmitForm>();
    doc.op::<forms::MyCheckinForm>();

    doc.op::<sessions::ClientSessions>();
    doc.op::<sessions::CreateSession>();
    doc.op::<sessions::GetSession>();
    doc.op::<sessions::UpdateSession>();
    doc.upload::<sessions::UploadTranscript>(
        "Replaces a session's transcript with a .txt/.vtt/.srt file, pasted text, or audio \
         transcribed by the AI server. Nothing changes when refused.",
        transcript_parts(),
    );
    doc.op::<sessions::ShareSession>();
    doc.op::<sessions::DeleteSession>();
    doc.op::<sessions::AddActionItem>();
    doc.op::<sessions::ShareActionItem>();
    doc.op::<sessions::DeleteActionItem>();
    doc.op::<sessions::SetActionItemDone>();
    doc.op::<sessions::MySessions>();

    doc.upload::<workspace::ImportWorkspace>(
        "Imports an FCDS v1 package into the coach's workspace, all or nothing; a dry run \
         counts what would be added. A package imported again adds nothing.",
        import_parts(),
    );

    doc.op::<ai::GetAiStatus>();
    doc.op::<ai::ClientAiEnabled>();
    doc.op::<ai::SetClientAi>();
    doc.op::<ai::GetSessionInsights>();
    doc.op::<ai::GenerateInsights>();
    doc.op::<ai::SaveInsights>();
    doc.op::<ai::ApplyInsights>();
    doc.op::<ai::DraftCheckinReply>();
    doc.op::<ai::AiCalls>();

    doc.op::<access_log::WorkspaceAccessLog>();
    doc.op::<access_log::MyAccessLog>();

    doc.op::<deletion::RequestDeletion>();
    doc.op::<deletion::WithdrawDeletion>();
    doc.op::<deletion::MyDeletionRequest>();
    doc.op::<deletion::OpenDeletionRequests>();
    doc.op::<deletion::ClientDeletionRequest>();
    doc.op::<deletion::DeclineDeletion>();

    doc.op::<operator::OperatorSetupInfo>();
    doc.op::<operator::FinishOperatorSetup>();
    doc.op::<operator::OperatorLogin>();
    doc.op::<operator::PlatformOverview>();
    doc.op::<operator::ListCoachAccounts>();
    doc.op::<operator::SuspendCoach>();

    doc.op::<legal::RecordLegalRequest>();
    doc.op::<legal::LegalRequests>();
    doc.op::<legal::ApproveLegalRequest>();
    doc.op::<legal::LegalNotices>();

    doc.op::<support::GrantSupport>();
    doc.op::<support::RevokeSupport>();
    doc.op::<support::SupportStatus>();
    doc.op::<support::OpenSupportGrants>();
    doc.op::<support::EnterSupport>();
    doc.op::<support::LeaveSupport>();

    doc.op::<mcp::ListMcpConnections>();
    doc.op::<mcp::CreateMcpToken>();
    doc.op::<mcp::RevokeMcpConnection>();

    doc.download(
        "/api/checkins/{checkin_id}/pdf",
        "checkin_id",
        "A check-in as a PDF, for its coach or its client.",
    );
    doc.download(
        "/api/meal_plans/{plan_id}/pdf",
        "plan_id",
        "A meal plan as a PDF, for its coach (templates too) or the client whose active plan \
         it is.",
    );
    doc.download(
        "/api/workout_plans/{plan_id}/pdf",
        "plan_id",
        "A workout plan as a PDF, for its coach (templates too) or the client whose active \
         plan it is.",
    );
    doc.download_zip_of(
        "/api/operator/legal/{request_id}/export",
        "request_id",
        "The data an approved legal request covers, as a ZIP (one folder per client), while \
         its access window is open. Operators only.",
    );
    doc.zip_download(
        "/api/coach/export",
        "The signed-in coach's whole workspace, as one ZIP: workspace.json, a folder per \
         client (data.json and photos), and open-coaching-data.json (FCDS v1) of every client.",
    );
    doc.zip_download(
        "/api/portal/export",
        "Everything the signed-in client sees, as one ZIP: data.json, their photos, the \
         check-in and plan PDFs, and open-coaching-data.json (FCDS v1).",
    );

    doc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` in `value`.
    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match (key.as_str(), inner) {
                        ("$ref", Value::String(target)) => out.push(target),
                        _ => refs(inner, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_ref_resolves() {
        let doc = document();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty());
        let dangling: Vec<_> = found
            .into_iter()
            .filter(|target| {
                let pointer = target.trim_start_matches('#');
                !target.starts_with('#') || doc.pointer(pointer).is_none()
            })
            .collect();
        assert!(dangling.is_empty(), "unresolved $refs: {dangling:?}");
    }

    #[test]
    fn component_names_are_valid() {
        // OpenAPI allows only these characters in component keys.
        let doc = document();
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for name in schemas.keys() {
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')),
                "{name}"
            );
        }
    }

    #[test]
    fn media_types_follow_the_codecs() {
        let doc = document();
        let body = |path: &str| {
            doc["paths"][path]["post"]["requestBody"]["content"]
                .as_object()
                .and_then(|c| c.keys().next().cloned())
                .unwrap_or_default()
        };
        assert_eq!(body("/api/auth/login"), "application/x-www-form-urlencoded");
        assert_eq!(body("/api/forms/save"), "application/json");
        assert_eq!(body("/api/portal/checkins/submit"), "multipart/form-data");
    }

    #[test]
    fn request_and_response_forms_of_a_type_are_kept_apart() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        // Read, a suggestion's `due_date` may be left out (serde makes it None); written, it
        // is always there, maybe null. Insights, which hold suggestions, split with them.
        assert_eq!(
            schemas["SuggestedAction"]["required"],
            json!(["owner", "text", "due_date"])
        );
        assert_eq!(
            schemas["SuggestedActionInput"]["required"],
            json!(["owner", "text"])
        );
        let item_ref =
            |name: &str| schemas[name]["properties"]["action_items"]["items"]["$ref"].clone();
        assert_eq!(item_ref("Insights"), "#/components/schemas/SuggestedAction");
        assert_eq!(
            item_ref("InsightsInput"),
            "#/components/schemas/SuggestedActionInput"
        );
        assert_eq!(
            doc["paths"]["/api/sessions/insights/save"]["post"]["requestBody"]["content"]
                ["application/json"]["schema"]["$ref"],
            "#/components/schemas/SaveInsights"
        );
        assert_eq!(
            schemas["SaveInsights"]["properties"]["insights"]["$ref"],
            "#/components/schemas/InsightsInput"
        );
    }

    #[test]
    fn optional_form_fields_are_left_out_not_null() {
        let doc = document();
        let client_id = &doc["components"]["schemas"]["ListNotes"]["properties"]["client_id"];
        assert_eq!(client_id["type"], "string");
        assert!(doc["components"]["schemas"]["ListNotes"]["required"].is_null());
    }

    #[test]
    fn errors_are_described_by_app_error() {
        let doc = document();
        let error = &doc["paths"]["/api/auth/me"]["post"]["responses"]["default"]["content"]
            ["application/json"]["schema"]["$ref"];
        assert_eq!(error, "#/components/schemas/AppError");
    }
}
