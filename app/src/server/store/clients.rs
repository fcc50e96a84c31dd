//! Client profiles. Every function takes an ownership proof from `authz`.

use crate::domain::{
    missed_checkin_day, AccessAction, ActorKind, ClientInput, ClientPage, ClientProfile,
    ClientSummary, Email, RosterSort, Timezone, Units, Weekday,
};
use crate::server::authz::{ClientSelf, OwnedClient, OwnedWorkspace};
use crate::server::crypto::{DataKey, Field};
use crate::server::db::{expect_one, is_unique_violation, AnyQuery, Backend, Db};
use crate::server::storage::ObjectKey;
use crate::server::{internal, new_id, now_millis, time_zones};
use crate::AppError;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

pub const PER_PAGE: i64 = 25;

/// Emails are unique within one coach's roster only, so this tells a coach about their own
/// clients and nothing about anyone else's.
fn duplicate_email(err: sqlx::Error) -> AppError {
    if is_unique_violation(&err) {
        AppError::Conflict("Another of your clients already uses this email.".into())
    } else {
        internal(err)
    }
}

fn search_text(name: &str, email: &str) -> String {
    format!("{} {}", name.to_lowercase(), email)
}

/// The sealed part of a profile: health details, physical stats, phone and date of birth. It is
/// one JSON value sealed with the client's key in `sealed_profile`; the old plain columns stay
/// empty. Name and email stay plain (see ARCHITECTURE.md): the roster sorts and searches them.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct SealedProfile {
    pub phone: String,
    pub date_of_birth: Option<String>,
    pub age_years: Option<i64>,
    pub gender: String,
    pub height_cm: Option<f64>,
    pub weight_kg: Option<f64>,
    pub goals: String,
    pub medical_conditions: String,
    pub dietary_restrictions: String,
    pub injuries: String,
    pub medications: String,
}

impl SealedProfile {
    /// What an erased client's profile shows: every text field says so, no numbers.
    fn erase(&mut self) {
        let erased = crate::server::crypto::ERASED_TEXT.to_owned();
        *self = Self {
            gender: erased.clone(),
            goals: erased.clone(),
            medical_conditions: erased.clone(),
            dietary_restrictions: erased.clone(),
            injuries: erased.clone(),
            medications: erased,
            ..Self::default()
        };
    }

    fn of(input: &ClientInput) -> Self {
        Self {
            phone: input.phone.clone(),
            date_of_birth: input.date_of_birth.as_ref().map(|d| d.as_str().to_owned()),
            age_years: input.age_years,
            gender: input.gender.clone(),
            height_cm: input.height_cm,
            weight_kg: input.weight_kg,
            goals: input.goals.as_str().to_owned(),
            medical_conditions: input.medical_conditions.as_str().to_owned(),
            dietary_restrictions: input.dietary_restrictions.as_str().to_owned(),
            injuries: input.injuries.as_str().to_owned(),
            medications: input.medications.as_str().to_owned(),
        }
    }
}

pub(crate) const SEALED_PROFILE: Field = Field::new("clients", "sealed_profile");

/// The profile columns, in the order [`bind_profile`] binds them as `$1..$5`.
const PROFILE_FIELDS: &str = "name, email, checkin_day, search_text, sealed_profile";

/// Binds the profile fields as `$1..$5` (see [`PROFILE_FIELDS`]).
fn bind_profile<'q>(query: AnyQuery<'q>, input: &'q ClientInput, sealed: String) -> AnyQuery<'q> {
    query
        .bind(input.name.as_str())
        .bind(input.email.as_str())
        .bind(input.checkin_day.map(|d| d.as_str()))
        .bind(search_text(input.name.as_str(), input.email.as_str()))
        .bind(sealed)
}

pub async fn create(
    db: &Db,
    workspace: &OwnedWorkspace,
    input: &ClientInput,
) -> Result<String, AppError> {
    // The client's row and their data key are made together, so no client is ever without one.
    let mut tx = db.begin().await?;
    let (id, key) = insert(db, &mut tx, workspace, input, false).await?;
    tx.commit().await.map_err(internal)?;
    db.keyring().remember(&id, std::sync::Arc::new(key));
    Ok(id)
}

/// Inserts a new client and their data key in the caller's transaction. The caller remembers
/// the key in the keyring once the transaction commits.
pub(super) async fn insert(
    db: &Db,
    tx: &mut Transaction<'static, Any>,
    workspace: &OwnedWorkspace,
    input: &ClientInput,
    archived: bool,
) -> Result<(String, DataKey), AppError> {
    let id = new_id();
    let now = now_millis();
    let key = DataKey::generate();
    let sealed = key.seal_json(SEALED_PROFILE, &id, &SealedProfile::of(input));
    let sql = format!(
        "INSERT INTO clients ({PROFILE_FIELDS}, id, coach_id, created_at, updated_at, archived) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    );
    bind_profile(sqlx::query(&sql), input, sealed)
        .bind(&id)
        .bind(workspace.coach_id())
        .bind(now)
        .bind(now)
        .bind(i64::from(archived))
        .execute(&mut **tx)
        .await
        .map_err(duplicate_email)?;
    super::keys::insert_client_key(db, tx, &id, workspace.coach_id(), &key).await?;
    Ok((id, key))
}

/// Updates the profile and, when the client has a login, its display name, together. The email
/// of a client who has joined is their login email: only they change it (`account/email`).
pub async fn update(db: &Db, client: &OwnedClient, input: &ClientInput) -> Result<(), AppError> {
    let assignments: Vec<String> = PROFILE_FIELDS
        .split(',')
        .enumerate()
        .map(|(i, column)| format!("{} = ${}", column.trim(), i + 1))
        .collect();
    let sql = format!(
        "UPDATE clients SET {}, updated_at = $6 WHERE id = $7 AND coach_id = $8 \
         AND (user_id IS NULL OR email = $2)",
        assignments.join(", ")
    );
    let key = super::keys::writable(super::keys::client(db, client.client_id()).await?)?;
    let sealed = key.seal_json(
        SEALED_PROFILE,
        client.client_id(),
        &SealedProfile::of(input),
    );
    let mut tx = db.begin().await?;
    let ClientLogin { user_id, email } = login_of(&mut tx, client, "").await?;
    let joined_email_changed = || {
        AppError::invalid(
            "This client has joined, so the email is their login: they change it themselves, \
             in their account settings.",
        )
    };
    if user_id.is_some() && email != input.email.as_str() {
        return Err(joined_email_changed());
    }
    let result = bind_profile(sqlx::query(&sql), input, sealed)
        .bind(now_millis())
        .bind(client.client_id())
        .bind(client.coach_id())
        .execute(&mut *tx)
        .await
        .map_err(duplicate_email)?;
    // The WHERE re-checks the login email at write time: a change the client confirmed after
    // the read above is not overwritten.
    if result.rows_affected() != 1 {
        return Err(joined_email_changed());
    }
    sqlx::query(
        "UPDATE users SET name = $1 WHERE id = (SELECT user_id FROM clients WHERE id = $2)",
    )
    .bind(input.name.as_str())
    .bind(client.client_id())
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)
}

/// A client's confirmed new login email becomes their email on file with the coach too. `None`
/// when another client of the same coach has it (the change is then abandoned).
pub(super) async fn sync_login_email(
    tx: &mut Transaction<'static, Any>,
    user_id: &str,
    email: &Email,
) -> Result<Option<()>, AppError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT name FROM clients WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(internal)?;
    let Some((name,)) = row else {
        return Ok(Some(()));
    };
    let updated = sqlx::query(
        "UPDATE clients SET email = $1, search_text = $2, updated_at = $3 WHERE user_id = $4",
    )
    .bind(email.as_str())
    .bind(search_text(&name, email.as_str()))
    .bind(now_millis())
    .bind(user_id)
    .execute(&mut **tx)
    .await;
    match updated {
        Err(e) if is_unique_violation(&e) => Ok(None),
        Err(e) => Err(internal(e)),
        Ok(_) => Ok(Some(())),
    }
}

const PROFILE_COLUMNS: &str =
    "c.id, c.name, c.email, c.sealed_profile, c.checkin_day, c.archived, c.user_id, k.units, \
     (SELECT MAX(i.expires_at) FROM invites i WHERE i.client_id = c.id \
      AND i.used_at IS NULL AND i.revoked_at IS NULL) AS invite_expires_at";

fn profile_from_row(row: &AnyRow, key: &DataKey) -> Result<ClientProfile, AppError> {
    let text = |col: &str| row.try_get::<String, _>(col).map_err(internal);
    let id = text("id")?;
    let checkin_day: Option<String> = row.try_get("checkin_day").map_err(internal)?;
    let units: String = row.try_get("units").map_err(internal)?;
    let sealed: Option<String> = row.try_get("sealed_profile").map_err(internal)?;
    let sealed = sealed.ok_or_else(|| internal(format!("client {id} is not sealed yet")))?;
    let mut profile: SealedProfile = key
        .open_json(SEALED_PROFILE, &id, &sealed)
        .map_err(internal)?;
    if key.is_erased() {
        profile.erase();
    }
    Ok(ClientProfile {
        erased: key.is_erased(),
        name: text("name")?,
        email: text("email")?,
        phone: profile.phone,
        date_of_birth: profile.date_of_birth,
        age_years: profile.age_years,
        gender: profile.gender,
        height_cm: profile.height_cm,
        weight_kg: profile.weight_kg,
        goals: profile.goals,
        medical_conditions: profile.medical_conditions,
        dietary_restrictions: profile.dietary_restrictions,
        injuries: profile.injuries,
        medications: profile.medications,
        checkin_day: checkin_day
            .as_deref()
            .map(Weekday::parse)
            .transpose()
            .map_err(internal)?
            .flatten(),
        archived: row.try_get::<i64, _>("archived").map_err(internal)? != 0,
        has_login: row
            .try_get::<Option<String>, _>("user_id")
            .map_err(internal)?
            .is_some(),
        invite_expires_at: row.try_get("invite_expires_at").map_err(internal)?,
        units: Units::parse(&units).map_err(internal)?,
        id,
    })
}

/// The SELECT behind `clients/get`: a client's profile row by (`$1` client id, `$2` coach id).
pub(crate) fn profile_select() -> String {
    format!(
        "SELECT {PROFILE_COLUMNS} FROM clients c JOIN coaches k ON k.user_id = c.coach_id \
         WHERE c.id = $1 AND c.coach_id = $2"
    )
}

async fn load_profile(db: &Db, client_id: &str, coach_id: &str) -> Result<ClientProfile, AppError> {
    let key = super::keys::client(db, client_id).await?;
    let row = sqlx::query(&profile_select())
        .bind(client_id)
        .bind(coach_id)
        .fetch_optional(db.reader())
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    profile_from_row(&row, &key)
}

pub async fn profile(db: &Db, client: &OwnedClient) -> Result<ClientProfile, AppError> {
    load_profile(db, client.client_id(), client.coach_id()).await
}

pub async fn own_profile(db: &Db, me: &ClientSelf) -> Result<ClientProfile, AppError> {
    load_profile(db, me.client_id(), me.coach_id()).await
}

/// Escapes LIKE wildcards so a search for "50%" means the text "50%".
fn like_pattern(query: &str) -> String {
    let escaped: String = query
        .trim()
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// One page of the roster, by name, filtered by archived state and a name/email search.
pub async fn list(
    db: &Db,
    workspace: &OwnedWorkspace,
    query: &str,
    archived: bool,
    page: i64,
    sort: RosterSort,
    ai_enabled_only: bool,
) -> Result<ClientPage, AppError> {
    let archived = i64::from(archived);
    // For a connected AI tool, a client with AI off does not exist (`server::mcp`).
    let ai_filter = if ai_enabled_only {
        " AND c.ai_enabled = 1"
    } else {
        ""
    };
    // No search, no LIKE: the count and the page then read the roster index's range alone,
    // instead of matching a pattern against every client's search text (`scripts/bench` part e
    // has 10,000 clients). With a search, the pattern is the last value bound to either query.
    let pattern = (!query.trim().is_empty()).then(|| like_pattern(query));
    let search = |n: usize| match pattern {
        Some(_) => format!(" AND c.search_text LIKE ${n} ESCAPE '\\'"),
        None => String::new(),
    };
    let count_sql = format!(
        "SELECT COUNT(*) FROM clients c WHERE c.coach_id = $1 AND c.archived = $2{ai_filter}{}",
        search(3)
    );
    let mut count = sqlx::query_as(&count_sql)
        .bind(workspace.coach_id())
        .bind(archived);
    if let Some(pattern) = &pattern {
        count = count.bind(pattern);
    }
    let (total,): (i64,) = count.fetch_one(db.reader()).await.map_err(internal)?;
    let last_page = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let page = page.clamp(1, last_page);
    // NULLS FIRST: never checked in is the longest without (SQLite and PostgreSQL both take it).
    let order = match sort {
        RosterSort::Name => "c.name, c.id",
        RosterSort::LastCheckin => "last_checkin ASC NULLS FIRST, c.name, c.id",
        RosterSort::Compliance => "weeks_checked_in, c.name, c.id",
    };
    let page_sql = format!(
        "SELECT c.id, c.name, c.email, c.archived, c.user_id, c.checkin_day, \
         COALESCE(c.timezone, co.timezone) AS zone, u.created_at AS joined_at, \
         (SELECT COUNT(*) FROM invites i WHERE i.client_id = c.id AND i.used_at IS NULL \
          AND i.revoked_at IS NULL AND i.expires_at > $1) AS open_invites, \
         (SELECT MAX(k.submitted_at) FROM checkins k WHERE k.client_id = c.id) AS last_checkin, \
         (SELECT COUNT(DISTINCT (k.submitted_at - $6) / 604800000) FROM checkins k \
          WHERE k.client_id = c.id AND k.submitted_at > $6) AS weeks_checked_in \
         FROM clients c JOIN coaches co ON co.user_id = c.coach_id \
         LEFT JOIN users u ON u.id = c.user_id \
         WHERE c.coach_id = $2 AND c.archived = $3{ai_filter}{} \
         ORDER BY {order} LIMIT $4 OFFSET $5",
        search(7)
    );
    let now = now_millis();
    let mut rows = sqlx::query(&page_sql)
        .bind(now)
        .bind(workspace.coach_id())
        .bind(archived)
        .bind(PER_PAGE)
        .bind((page - 1) * PER_PAGE)
        .bind(now - 28 * 86_400_000);
    if let Some(pattern) = &pattern {
        rows = rows.bind(pattern);
    }
    let rows = rows.fetch_all(db.reader()).await.map_err(internal)?;
    let mut clocks = time_zones::Clocks::at(now);
    let mut clients = Vec::with_capacity(rows.len());
    for row in rows {
        let day: Option<String> = row.try_get("checkin_day").map_err(internal)?;
        let checkin_day = day.and_then(|day| Weekday::parse(&day).ok().flatten());
        let user_id: Option<String> = row.try_get("user_id").map_err(internal)?;
        let joined_at: Option<i64> = row.try_get("joined_at").map_err(internal)?;
        let last_checkin_at: Option<i64> = row.try_get("last_checkin").map_err(internal)?;
        let zone: String = row.try_get("zone").map_err(internal)?;
        let archived: i64 = row.try_get("archived").map_err(internal)?;
        let open_invites: i64 = row.try_get("open_invites").map_err(internal)?;
        // Only a client who has joined, with a day, can miss it; not one archived.
        let overdue = match (checkin_day, joined_at) {
            (Some(day), Some(joined_at)) if archived == 0 => {
                missed_checkin_day(day, last_checkin_at, joined_at, clocks.get(zone)).is_some()
            }
            _ => false,
        };
        clients.push(ClientSummary {
            id: row.try_get("id").map_err(internal)?,
            name: row.try_get("name").map_err(internal)?,
            email: row.try_get("email").map_err(internal)?,
            archived: archived != 0,
            has_login: user_id.is_some(),
            invite_pending: open_invites > 0,
            checkin_day,
            last_checkin_at,
            weeks_checked_in: row.try_get("weeks_checked_in").map_err(internal)?,
            overdue,
        });
    }
    Ok(ClientPage {
        clients,
        total,
        page,
        per_page: PER_PAGE,
    })
}

pub async fn set_archived(db: &Db, client: &OwnedClient, archived: bool) -> Result<(), AppError> {
    let result = sqlx::query(
        "UPDATE clients SET archived = $1, updated_at = $2 WHERE id = $3 AND coach_id = $4",
    )
    .bind(i64::from(archived))
    .bind(now_millis())
    .bind(client.client_id())
    .bind(client.coach_id())
    .execute(db.writer())
    .await
    .map_err(internal)?;
    expect_one(result)
}

/// A client's login: their user id once they joined, and the email on file.
pub(super) struct ClientLogin {
    pub user_id: Option<String>,
    pub email: String,
}

/// The client's [`ClientLogin`], read inside `tx`; `lock` is "" or, on PostgreSQL,
/// " FOR UPDATE" to hold the row until `tx` ends.
pub(super) async fn login_of(
    tx: &mut Transaction<'static, Any>,
    client: &OwnedClient,
    lock: &str,
) -> Result<ClientLogin, AppError> {
    let (user_id, email): (Option<String>, String) = sqlx::query_as(&format!(
        "SELECT user_id, email FROM clients WHERE id = $1 AND coach_id = $2{lock}"
    ))
    .bind(client.client_id())
    .bind(client.coach_id())
    .fetch_optional(&mut **tx)
    .await
    .map_err(internal)?
    .ok_or(AppError::NotFound)?;
    Ok(ClientLogin { user_id, email })
}

/// Deletes the client with everything of theirs (invites, notes, to-dos, check-ins by cascade),
/// their login and their sessions, in one transaction; their photos are queued for deletion and
/// their keys returned.
pub async fn delete(db: &Db, client: &OwnedClient) -> Result<Vec<ObjectKey>, AppError> {
    let mut tx = db.begin().await?;
    // On PostgreSQL, lock the client first: a check-in committing meanwhile then either lands
    // before the photo keys are queued, or fails its foreign key (SQLite has one writer anyway).
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let ClientLogin { user_id, .. } = login_of(&mut tx, client, lock).await?;
    // Locked on PostgreSQL, so a withdrawal committing meanwhile is seen (no longer pending)
    // and the log never names a withdrawn request as the one this deletion answered.
    let asked: Option<(String,)> = sqlx::query_as(&format!(
        "SELECT id FROM deletion_requests WHERE client_id = $1 AND status = 'pending'{lock}"
    ))
    .bind(client.client_id())
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    // Photo rows go with the client by cascade; their objects are queued here, atomically.
    let keys = super::object_deletions::queue_for_client(&mut tx, client.client_id()).await?;
    sqlx::query("DELETE FROM clients WHERE id = $1 AND coach_id = $2")
        .bind(client.client_id())
        .bind(client.coach_id())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    if let Some(user_id) = user_id {
        super::users::end_sessions(&mut tx, &user_id, None).await?;
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(&user_id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
    }
    // The record outlives the client: who deleted them, when, and whether they had asked.
    // Appended last, like every append: the head row is the last lock a transaction takes, so
    // two transactions never wait on each other for it.
    super::access_log::append(
        &mut tx,
        &super::access_log::Access {
            coach_id: Some(client.coach_id()),
            client_id: Some(client.client_id()),
            object: asked.map(|(id,)| super::access_log::Logged::DeletionRequest(&id).to_string()),
            ..super::access_log::Access::new(
                ActorKind::Coach,
                Some(client.coach_id()),
                AccessAction::ClientDeleted,
            )
        },
    )
    .await?;
    tx.commit().await.map_err(internal)?;
    // The data key went with the row (by cascade); this server forgets its copy too.
    db.keyring().forget(client.client_id());
    Ok(keys)
}

/// The zone a client lives by: their own, else their coach's. `client_id` comes from a proof.
pub(crate) async fn zone_of(db: &Db, client_id: &str) -> Result<String, AppError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT COALESCE(cl.timezone, co.timezone) FROM clients cl \
         JOIN coaches co ON co.user_id = cl.coach_id WHERE cl.id = $1",
    )
    .bind(client_id)
    .fetch_optional(db.reader())
    .await
    .map_err(internal)?;
    Ok(row.map_or_else(|| "UTC".to_owned(), |(zone,)| zone))
}

/// The client's own time zone, chosen on their Me page.
pub async fn set_own_timezone(db: &Db, me: &ClientSelf, zone: &Timezone) -> Result<(), AppError> {
    sqlx::query("UPDATE clients SET timezone = $1 WHERE id = $2")
        .bind(zone.as_str())
        .bind(me.client_id())
        .execute(db.writer())
        .await
        .map_err(internal)?;
    Ok(())
}

/// The client's own phone number (the only part of the profile a client edits here; their
/// login email changes through `account/email`).
pub async fn update_phone(db: &Db, me: &ClientSelf, phone: &str) -> Result<(), AppError> {
    let key = super::keys::writable(super::keys::client(db, me.client_id()).await?)?;
    let mut tx = db.begin().await?;
    // Read and rewrite the sealed profile in one transaction, so a coach's edit meanwhile is not
    // lost (SQLite has one writer; PostgreSQL holds the row).
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let (sealed,): (Option<String>,) = sqlx::query_as(&format!(
        "SELECT sealed_profile FROM clients WHERE id = $1{lock}"
    ))
    .bind(me.client_id())
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?
    .ok_or(AppError::NotFound)?;
    let mut profile: SealedProfile = match sealed {
        Some(sealed) => key
            .open_json(SEALED_PROFILE, me.client_id(), &sealed)
            .map_err(internal)?,
        None => {
            return Err(internal(format!(
                "client {} is not sealed yet",
                me.client_id()
            )))
        }
    };
    profile.phone = phone.to_owned();
    let result =
        sqlx::query("UPDATE clients SET sealed_profile = $1, updated_at = $2 WHERE id = $3")
            .bind(key.seal_json(SEALED_PROFILE, me.client_id(), &profile))
            .bind(now_millis())
            .bind(me.client_id())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
    expect_one(result)?;
    tx.commit().await.map_err(internal)
}
