//! Forms: templates (`OwnedForm`), the copies given to clients (`form_assignments`), their
//! answers, and the client's check-in form.

use crate::domain::{
    Answers, FormDefinition, FormDoc, FormKind, FormResponse, FormSummary, RawAnswers,
    ResponseStatus,
};
use crate::server::authz::{
    ClientScope, ClientSelf, MyFormAssignment, OwnedClient, OwnedForm, OwnedWorkspace,
};
use crate::server::crypto::{DataKey, Field};
use crate::server::db::{expect_one, Db};
use crate::server::store::keys;
use crate::server::{internal, new_id, now_millis};
use crate::AppError;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

fn definition_json(definition: &FormDefinition) -> Result<String, AppError> {
    serde_json::to_string(definition).map_err(internal)
}

pub(super) fn parse_definition(json: &str) -> Result<FormDefinition, AppError> {
    serde_json::from_str(json).map_err(internal)
}

pub async fn list(db: &Db, workspace: &OwnedWorkspace) -> Result<Vec<FormSummary>, AppError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT id, definition, updated_at FROM forms WHERE coach_id = $1 \
         ORDER BY updated_at DESC, id LIMIT $2",
    )
    .bind(workspace.coach_id())
    .bind(super::LIST_CAP)
    .fetch_all(db.reader())
    .await
    .map_err(internal)?;
    rows.into_iter()
        .map(|(id, definition, updated_at)| {
            let definition = parse_definition(&definition)?;
            Ok(FormSummary {
                id,
                name: definition.name,
                kind: definition.kind,
                field_count: definition.fields.len(),
                updated_at,
            })
        })
        .collect()
}

/// A new form template without fields. Returns its id.
pub async fn create(
    db: &Db,
    workspace: &OwnedWorkspace,
    name: &str,
    kind: FormKind,
) -> Result<String, AppError> {
    let definition = FormDefinition {
        name: name.to_owned(),
        kind,
        description: String::new(),
        fields: Vec::new(),
    };
    let mut tx = db.begin().await?;
    let id = insert_library(&mut tx, workspace, &definition).await?;
    tx.commit().await.map_err(internal)?;
    Ok(id)
}

/// Adds a form to the workspace's library in the caller's transaction.
pub(super) async fn insert_library(
    tx: &mut Transaction<'static, Any>,
    workspace: &OwnedWorkspace,
    definition: &FormDefinition,
) -> Result<String, AppError> {
    let id = new_id();
    let now = now_millis();
    sqlx::query(
        "INSERT INTO forms (id, coach_id, name, kind, definition, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(workspace.coach_id())
    .bind(&definition.name)
    .bind(definition.kind.key())
    .bind(definition_json(definition)?)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(id)
}

/// A form given to a client, as it is inserted.
pub(super) struct Given<'a> {
    pub coach_id: &'a str,
    /// A proof's client, or one the caller made in this transaction (an import).
    pub client_id: &'a str,
    pub form_id: Option<&'a str>,
    pub definition: &'a FormDefinition,
    pub assigned_at: i64,
    /// The answers (sealed with `key`) and when they were given, once answered.
    pub answered: Option<(&'a Answers, &'a DataKey, i64)>,
}

/// Gives a form to a client in the caller's transaction; returns the assignment's id.
pub(super) async fn insert_given(
    tx: &mut Transaction<'static, Any>,
    given: &Given<'_>,
) -> Result<String, AppError> {
    let id = new_id();
    let (status, answers, submitted_at) = match given.answered {
        Some((answers, key, at)) => (
            "submitted",
            Some(key.seal(
                ANSWERS,
                &id,
                &serde_json::to_string(answers).map_err(internal)?,
            )),
            Some(at),
        ),
        None => ("pending", None, None),
    };
    sqlx::query(
        "INSERT INTO form_assignments (id, coach_id, client_id, form_id, definition, status, \
         answers, assigned_at, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(given.coach_id)
    .bind(given.client_id)
    .bind(given.form_id)
    .bind(definition_json(given.definition)?)
    .bind(status)
    .bind(answers)
    .bind(given.assigned_at)
    .bind(submitted_at)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(id)
}

pub async fn get(db: &Db, form: &OwnedForm) -> Result<FormDoc, AppError> {
    let (definition,): (String,) =
        sqlx::query_as("SELECT definition FROM forms WHERE id = $1 AND coach_id = $2")
            .bind(form.item_id())
            .bind(form.coach_id())
            .fetch_optional(db.reader())
            .await
            .map_err(internal)?
            .ok_or(AppError::NotFound)?;
    Ok(FormDoc {
        id: form.item_id().to_owned(),
        definition: parse_definition(&definition)?,
    })
}

/// Replaces the template. Forms already given to clients keep the definition they were given.
pub async fn save(db: &Db, form: &OwnedForm, definition: &FormDefinition) -> Result<(), AppError> {
    let result = sqlx::query(
        "UPDATE forms SET name = $1, kind = $2, definition = $3, updated_at = $4 \
         WHERE id = $5 AND coach_id = $6",
    )
    .bind(&definition.name)
    .bind(definition.kind.key())
    .bind(definition_json(definition)?)
    .bind(now_millis())
    .bind(form.item_id())
    .bind(form.coach_id())
    .execute(db.writer())
    .await
    .map_err(internal)?;
    expect_one(result)
}

/// Deletes the template; clients using it as their check-in form stop using it. Given copies
/// and their answers stay.
pub async fn delete(db: &Db, form: &OwnedForm) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE clients SET checkin_form_id = NULL WHERE checkin_form_id = $1 AND coach_id = $2",
    )
    .bind(form.item_id())
    .bind(form.coach_id())
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    let result = sqlx::query("DELETE FROM forms WHERE id = $1 AND coach_id = $2")
        .bind(form.item_id())
        .bind(form.coach_id())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    expect_one(result)?;
    tx.commit().await.map_err(internal)
}

/// Gives the form, as it is now, to a client. Returns the assignment's id.
pub async fn assign(db: &Db, form: &OwnedForm, client: &OwnedClient) -> Result<String, AppError> {
    let doc = get(db, form).await?;
    if doc
        .definition
        .fields
        .iter()
        .all(|f| f.field_type == crate::domain::FieldType::Heading)
    {
        return Err(AppError::invalid(
            "Add at least one question before giving this form to a client.",
        ));
    }
    let mut tx = db.begin().await?;
    let id = insert_given(
        &mut tx,
        &Given {
            coach_id: client.coach_id(),
            client_id: client.client_id(),
            form_id: Some(form.item_id()),
            definition: &doc.definition,
            assigned_at: now_millis(),
            answered: None,
        },
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    Ok(id)
}

const RESPONSE_COLUMNS: &str =
    "a.id, a.client_id, k.name AS client_name, a.form_id, a.definition, \
                                a.status, a.answers, a.assigned_at, a.submitted_at";

/// A client's answers to a given form, sealed with the client's key.
pub(crate) const ANSWERS: Field = Field::new("form_assignments", "answers");

/// A form response row, its answers opened with the client's key (from the key cache).
async fn response(db: &Db, row: &AnyRow) -> Result<FormResponse, AppError> {
    let client_id: String = row.try_get("client_id").map_err(internal)?;
    let id: String = row.try_get("id").map_err(internal)?;
    let key = keys::client(db, &client_id).await?;
    let status: String = row.try_get("status").map_err(internal)?;
    let answers: Option<String> = row.try_get("answers").map_err(internal)?;
    let answers = match answers {
        Some(sealed) => key.open_json(ANSWERS, &id, &sealed).map_err(internal)?,
        None => Answers::new(),
    };
    let form_id: Option<String> = row.try_get("form_id").map_err(internal)?;
    Ok(FormResponse {
        assignment_id: id,
        client_id,
        client_name: row.try_get("client_name").map_err(internal)?,
        form_id,
        status: if status == "submitted" {
            ResponseStatus::Submitted
        } else {
            ResponseStatus::Pending
        },
        assigned_at: row.try_get("assigned_at").map_err(internal)?,
        submitted_at: row.try_get("submitted_at").map_err(internal)?,
        definition: parse_definition(&row.try_get::<String, _>("definition").map_err(internal)?)?,
        answers,
    })
}

/// The workspace's given forms, newest first: for one client, one template, or both.
pub async fn responses(
    db: &Db,
    workspace: &OwnedWorkspace,
    client: Option<&OwnedClient>,
    form: Option<&OwnedForm>,
) -> Result<Vec<FormResponse>, AppError> {
    let mut sql = format!(
        "SELECT {RESPONSE_COLUMNS} FROM form_assignments a JOIN clients k ON k.id = a.client_id \
         WHERE a.coach_id = $1"
    );
    let mut n = 1;
    if client.is_some() {
        n += 1;
        sql.push_str(&format!(" AND a.client_id = ${n}"));
    }
    if form.is_some() {
        n += 1;
        sql.push_str(&format!(" AND a.form_id = ${n}"));
    }
    sql.push_str(&format!(
        " ORDER BY a.assigned_at DESC, a.id LIMIT {}",
        super::LIST_CAP
    ));
    let mut query = sqlx::query(&sql).bind(workspace.coach_id());
    if let Some(client) = client {
        query = query.bind(client.client_id());
    }
    if let Some(form) = form {
        query = query.bind(form.item_id());
    }
    let rows = query.fetch_all(db.reader()).await.map_err(internal)?;
    responses_of(db, &rows).await
}

/// The forms given to the signed-in client: waiting ones first.
pub async fn mine(db: &Db, me: &ClientSelf) -> Result<Vec<FormResponse>, AppError> {
    let sql = format!(
        "SELECT {RESPONSE_COLUMNS} FROM form_assignments a JOIN clients k ON k.id = a.client_id \
         WHERE a.client_id = $1 AND a.coach_id = $2 \
         ORDER BY CASE a.status WHEN 'pending' THEN 0 ELSE 1 END, a.assigned_at DESC, a.id \
         LIMIT {}",
        super::LIST_CAP
    );
    let rows = sqlx::query(&sql)
        .bind(me.client_id())
        .bind(me.coach_id())
        .fetch_all(db.reader())
        .await
        .map_err(internal)?;
    responses_of(db, &rows).await
}

async fn responses_of(db: &Db, rows: &[AnyRow]) -> Result<Vec<FormResponse>, AppError> {
    let mut responses = Vec::with_capacity(rows.len());
    for row in rows {
        responses.push(response(db, row).await?);
    }
    Ok(responses)
}

async fn one(db: &Db, assignment: &MyFormAssignment) -> Result<FormResponse, AppError> {
    let sql = format!(
        "SELECT {RESPONSE_COLUMNS} FROM form_assignments a JOIN clients k ON k.id = a.client_id \
         WHERE a.id = $1 AND a.client_id = $2"
    );
    let row = sqlx::query(&sql)
        .bind(assignment.assignment_id())
        .bind(assignment.client_id())
        .fetch_optional(db.reader())
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    response(db, &row).await
}

pub async fn my_form(db: &Db, assignment: &MyFormAssignment) -> Result<FormResponse, AppError> {
    one(db, assignment).await
}

/// Records the client's answers, parsed against the definition they were given. Sending again
/// replaces the earlier answers.
pub async fn submit(
    db: &Db,
    assignment: &MyFormAssignment,
    raw: &RawAnswers,
) -> Result<FormResponse, AppError> {
    let current = one(db, assignment).await?;
    let answers = current.definition.parse_answers(raw)?;
    let key = keys::writable(keys::client(db, assignment.client_id()).await?)?;
    let result = sqlx::query(
        "UPDATE form_assignments SET status = 'submitted', answers = $1, submitted_at = $2 \
         WHERE id = $3 AND client_id = $4",
    )
    .bind(key.seal(
        ANSWERS,
        assignment.assignment_id(),
        &serde_json::to_string(&answers).map_err(internal)?,
    ))
    .bind(now_millis())
    .bind(assignment.assignment_id())
    .bind(assignment.client_id())
    .execute(db.writer())
    .await
    .map_err(internal)?;
    expect_one(result)?;
    one(db, assignment).await
}

/// Makes a check-in form the one the client answers with each check-in, or (`None`) stops.
pub async fn set_checkin_form(
    db: &Db,
    client: &OwnedClient,
    form: Option<&OwnedForm>,
) -> Result<(), AppError> {
    if let Some(form) = form {
        let doc = get(db, form).await?;
        if doc.definition.kind != FormKind::Checkin {
            return Err(AppError::invalid(
                "Only a form of type “Check-in” can be answered with check-ins.",
            ));
        }
    }
    let result =
        sqlx::query("UPDATE clients SET checkin_form_id = $1 WHERE id = $2 AND coach_id = $3")
            .bind(form.map(|f| f.item_id()))
            .bind(client.client_id())
            .bind(client.coach_id())
            .execute(db.writer())
            .await
            .map_err(internal)?;
    expect_one(result)
}

/// The client's check-in form, if they have one: its template id and current definition.
pub async fn checkin_form(
    db: &Db,
    scope: &impl ClientScope,
) -> Result<Option<(String, FormDefinition)>, AppError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT f.id, f.definition FROM clients k JOIN forms f ON f.id = k.checkin_form_id \
         WHERE k.id = $1 AND k.coach_id = $2 AND f.coach_id = $2",
    )
    .bind(scope.client_id())
    .bind(scope.coach_id())
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    row.map(|(id, json)| Ok((id, parse_definition(&json)?)))
        .transpose()
}
