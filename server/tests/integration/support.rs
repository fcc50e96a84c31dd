//! Support access on both databases: the coach grants it; an operator enters the workspace and
//! reads it; every write (every server fn that is not a read) is refused; each read is in the
//! coach's log and, when it concerned a client, in that client's; revoking or expiry refuses the
//! operator's very next request.

use crate::common;

use app::server::support::READS;
use common::checkins::Submission;
use common::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

cases_on_both_backends!(
    a_grant_lets_an_operator_read_until_it_is_revoked_or_expires,
    support_is_refused_every_server_fn_that_is_not_a_read,
    a_support_read_that_cannot_be_logged_is_not_answered,
    a_list_of_many_clients_is_logged_under_each,
);

/// The coach grants support for an hour, and an operator enters the workspace: the operator's
/// client.
async fn operator_inside(app: &TestApp, coach: &reqwest::Client) -> reqwest::Client {
    let grant = app
        .ok(coach, "support/grant", &[("hours", "1"), ("message", "")])
        .await;
    let (operator, _) = app.operator("ops@example.com").await;
    app.ok(
        &operator,
        "operator/support/enter",
        &[("grant_id", grant["id"].as_str().unwrap())],
    )
    .await;
    operator
}

fn entries(page: &Value) -> Vec<(String, String, String)> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or_default().to_owned(),
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["object"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn a_grant_lets_an_operator_read_until_it_is_revoked_or_expires(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (coach, client, client_id) = app.coach_and_client().await;
    let checkin_id = app
        .checkin_ok(&client, &Submission::default().field("weight", "80"))
        .await;
    let other = app.client();
    app.signup_coach(&other, "Other Coach", "other@example.com")
        .await;
    let other_client = app
        .create_client(&other, "Other Client", "otherclient@example.com")
        .await;
    let (operator, _) = app.operator("ops@example.com").await;

    // Nothing is open: nothing to enter, and the coach's data stays out of reach.
    assert_eq!(
        app.ok(&operator, "operator/support/grants", &[]).await,
        serde_json::json!([])
    );
    app.call(
        &operator,
        "operator/support/enter",
        &[("grant_id", &"0".repeat(32))],
    )
    .await
    .assert_refused(StatusCode::NOT_FOUND, "");
    let refused = app
        .call(&operator, "clients/get", &[("client_id", &client_id)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The coach grants it, for one of the offered lengths.
    assert_eq!(app.ok(&coach, "support/status", &[]).await, Value::Null);
    app.call(&coach, "support/grant", &[("hours", "5"), ("message", "")])
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "Hours");
    let grant = app
        .ok(
            &coach,
            "support/grant",
            &[("hours", "1"), ("message", "The roster looks wrong.")],
        )
        .await;
    let grant_id = grant["id"].as_str().unwrap().to_owned();
    let status = app.ok(&coach, "support/status", &[]).await;
    assert_eq!(status["id"], grant_id.as_str());
    assert_eq!(status["message"], "The roster looks wrong.");
    let hour = status["until"].as_i64().unwrap() - status["granted_at"].as_i64().unwrap();
    assert_eq!(hour, 60 * 60 * 1000);

    // The operator sees it and enters: the coach's pages and reads, as the coach's.
    let open = app.ok(&operator, "operator/support/grants", &[]).await;
    assert_eq!(open[0]["coach_email"], "casey@example.com");
    assert_eq!(open[0]["message"], "The roster looks wrong.");
    app.ok(
        &operator,
        "operator/support/enter",
        &[("grant_id", &grant_id)],
    )
    .await;
    let me = app.ok(&operator, "auth/me", &[]).await;
    assert_eq!(me["role"], "coach");
    assert_eq!(me["email"], "casey@example.com");
    assert!(me["support_until"].is_i64());
    let roster = app
        .ok(
            &operator,
            "clients/list",
            &[("query", ""), ("archived", "false"), ("page", "1")],
        )
        .await;
    assert!(roster.to_string().contains("Riley Client"), "{roster}");
    app.ok(&operator, "clients/get", &[("client_id", &client_id)])
        .await;
    app.ok(&operator, "checkins/get", &[("checkin_id", &checkin_id)])
        .await;
    let inbox = app.ok(&operator, "checkins/inbox", &[("page", "1")]).await;
    assert!(inbox.to_string().contains(&client_id), "{inbox}");
    let about_riley = [
        ("client_id", client_id.as_str()),
        ("actor", ""),
        ("before", "0"),
    ];
    app.ok(&operator, "access_log/list", &about_riley).await;
    let (status, _) = app.page(&operator, "/coach").await;
    assert_eq!(status, StatusCode::OK);
    // A client's page logs the page and that client together, in one append (consecutive
    // entries, one timestamp); its panels, which all read the client, add no entry of their
    // own. Another workspace's client id is only part of a page's path: no entry names it.
    let support_log = || async {
        app.ok(
            &coach,
            "access_log/list",
            &[("client_id", ""), ("actor", "support"), ("before", "0")],
        )
        .await
    };
    let client_object = format!("client:{client_id}");
    let client_reads = |log: &Value| entries(log).iter().filter(|e| e.2 == client_object).count();
    let reads_before = client_reads(&support_log().await);
    let client_page = format!("/coach/clients/{client_id}");
    let (status, body) = app.page(&operator, &client_page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Riley Client"), "{body}");
    let log = support_log().await;
    assert_eq!(client_reads(&log), reads_before + 1, "{log}");
    let newest_with = |object: &str| {
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["object"] == object)
            .unwrap_or_else(|| panic!("{object} not in {log}"))
            .clone()
    };
    let page_entry = newest_with(&format!("page:{client_page}"));
    let client_entry = newest_with(&client_object);
    assert_eq!(client_entry["client_id"], client_id.as_str());
    assert!(page_entry["client_id"].is_null());
    assert_eq!(
        client_entry["seq"].as_i64().unwrap(),
        page_entry["seq"].as_i64().unwrap() + 1
    );
    assert_eq!(client_entry["at"], page_entry["at"]);
    // A tab of the client's page names the same client.
    let reads_before = client_reads(&log);
    let (status, _) = app
        .page(&operator, &format!("{client_page}/sessions"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(client_reads(&support_log().await), reads_before + 1);
    let foreign_page = format!("/coach/clients/{other_client}");
    app.page(&operator, &foreign_page).await;
    let log = support_log().await;
    assert_eq!(
        log["entries"][0]["object"],
        format!("page:{foreign_page}").as_str()
    );
    assert!(log["entries"][0]["client_id"].is_null(), "{log}");
    assert!(!log.to_string().contains(&format!("client:{other_client}")));
    // Entries appended together chain like any others.
    let said = app.audit_verify().await.unwrap();
    assert!(said.contains("intact"), "{said}");
    // Only this workspace: another coach's client is not found.
    app.call(&operator, "clients/get", &[("client_id", &other_client)])
        .await
        .assert_refused(StatusCode::NOT_FOUND, "");
    // Writes are refused, whatever they are; so are exports.
    for (endpoint, form) in [
        (
            "notes/create",
            vec![("client_id", client_id.as_str()), ("body", "x")],
        ),
        ("clients/delete", vec![("client_id", client_id.as_str())]),
        ("support/grant", vec![("hours", "72"), ("message", "")]),
        ("account/password", vec![]),
    ] {
        let response = app.call(&operator, endpoint, &form).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{endpoint}");
    }
    let pdf = operator
        .get(app.url(&format!("/api/checkins/{checkin_id}/pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::FORBIDDEN);
    // The operator's own console still works.
    app.ok(&operator, "operator/overview", &[]).await;

    // The coach reads every step; the client reads what concerned them.
    let log = app
        .ok(
            &coach,
            "access_log/list",
            &[("client_id", ""), ("actor", "support"), ("before", "0")],
        )
        .await;
    let seen = entries(&log);
    for wanted in [
        (
            "support",
            "support_entered",
            format!("support_grant:{grant_id}"),
        ),
        ("support", "support_read", "api:clients/list".to_owned()),
        ("support", "support_read", format!("client:{client_id}")),
        ("support", "support_read", format!("checkin:{checkin_id}")),
        ("support", "support_read", "page:/coach".to_owned()),
    ] {
        let wanted = (wanted.0.to_owned(), wanted.1.to_owned(), wanted.2);
        assert!(seen.contains(&wanted), "{wanted:?} not in {seen:?}");
    }
    assert!(log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["basis"] == format!("support_grant:{grant_id}").as_str()));
    let mine = entries(
        &app.ok(&client, "portal/access_log", &[("before", "0")])
            .await,
    );
    assert!(
        mine.contains(&(
            "support".into(),
            "support_read".into(),
            format!("checkin:{checkin_id}")
        )),
        "{mine:?}"
    );
    // A list that showed the client among others (the roster, the inbox) is in
    // their log; a call that concerned no client (the endpoint entry of `clients/get`, whose
    // client is logged as `client:`) is not.
    for list in [
        "api:clients/list",
        "api:checkins/inbox",
        "api:access_log/list",
    ] {
        let read = ("support".into(), "support_read".into(), list.to_owned());
        assert!(mine.contains(&read), "{list} not in {mine:?}");
    }
    assert!(
        !mine
            .iter()
            .any(|(_, _, object)| object == "api:clients/get"),
        "the client sees only what concerned them: {mine:?}"
    );

    // Revoked: the very next request is refused, and the pages are the operator's again.
    app.ok(&coach, "support/revoke", &[]).await;
    let coach_steps = entries(
        &app.ok(
            &coach,
            "access_log/list",
            &[("client_id", ""), ("actor", "coach"), ("before", "0")],
        )
        .await,
    );
    for action in ["support_granted", "support_revoked"] {
        let step = (
            "coach".to_owned(),
            action.to_owned(),
            format!("support_grant:{grant_id}"),
        );
        assert!(
            coach_steps.contains(&step),
            "{step:?} not in {coach_steps:?}"
        );
    }
    let after = app
        .call(&operator, "clients/get", &[("client_id", &client_id)])
        .await;
    assert_eq!(after.status, StatusCode::FORBIDDEN);
    let (status, _) = app.page(&operator, "/coach").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.ok(&operator, "auth/me", &[]).await["role"], "admin");
    app.call(
        &operator,
        "operator/support/enter",
        &[("grant_id", &grant_id)],
    )
    .await
    .assert_refused(StatusCode::NOT_FOUND, "");

    // A new grant that runs out: the same.
    let grant = app
        .ok(&coach, "support/grant", &[("hours", "24"), ("message", "")])
        .await;
    let grant_id = grant["id"].as_str().unwrap().to_owned();
    app.ok(
        &operator,
        "operator/support/enter",
        &[("grant_id", &grant_id)],
    )
    .await;
    app.ok(&operator, "clients/get", &[("client_id", &client_id)])
        .await;
    sqlx::query("UPDATE support_grants SET expires_at = $1 WHERE id = $2")
        .bind(app::server::now_millis() - 1)
        .bind(&grant_id)
        .execute(app.db.writer())
        .await
        .unwrap();
    let expired = app
        .call(&operator, "clients/get", &[("client_id", &client_id)])
        .await;
    assert_eq!(expired.status, StatusCode::FORBIDDEN);
    assert_eq!(app.ok(&coach, "support/status", &[]).await, Value::Null);
    app.stop().await;
}

/// Every registered server fn but the reads and the operator's own calls is refused under a
/// grant, before its arguments are even read: a new server fn is a write until it is listed.
async fn support_is_refused_every_server_fn_that_is_not_a_read(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;
    let operator = operator_inside(&app, &coach).await;
    let mut wrong = Vec::new();
    for (path, _) in server_fn::axum::server_fn_paths() {
        let endpoint = path.trim_start_matches("/api/").to_owned();
        let own =
            endpoint.starts_with("operator/") || endpoint == "auth/me" || endpoint == "auth/logout";
        if own {
            continue;
        }
        // Uploads are multipart: anything else is refused before it reaches the guard.
        let status = if matches!(
            endpoint.as_str(),
            "sessions/transcript" | "portal/checkins/submit" | "coach/import"
        ) {
            let form = reqwest::multipart::Form::new().text("session_id", "x");
            operator
                .post(app.url(&format!("/api/{endpoint}")))
                .multipart(form)
                .send()
                .await
                .unwrap()
                .status()
        } else {
            app.call(&operator, &endpoint, &[]).await.status
        };
        let is_read = READS.contains(&endpoint.as_str());
        if is_read == (status == StatusCode::FORBIDDEN) {
            wrong.push(format!(
                "{endpoint}: {status} (listed as a read: {is_read})"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    app.stop().await;
}

/// Makes every access log entry whose object starts with `prefix` fail to insert, as a full disk
/// or a broken database would.
/// Makes the database refuse access-log entries whose object starts with `prefix`.
pub(crate) async fn refuse_entries(app: &TestApp, backend: Backend, prefix: &str) {
    let statements = match backend {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER refuse_entries BEFORE INSERT ON access_log \
             WHEN NEW.object LIKE '{prefix}%' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )],
        Backend::Postgres => vec![
            "CREATE FUNCTION refuse_entry() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused'; END $$"
                .to_owned(),
            format!(
                "CREATE TRIGGER refuse_entries BEFORE INSERT ON access_log FOR EACH ROW \
                 WHEN (NEW.object LIKE '{prefix}%') EXECUTE FUNCTION refuse_entry()"
            ),
        ],
    };
    for sql in statements {
        sqlx::query(&sql).execute(app.db.writer()).await.unwrap();
    }
}

pub(crate) async fn allow_entries(app: &TestApp, backend: Backend) {
    let statements: &[&str] = match backend {
        Backend::Sqlite => &["DROP TRIGGER refuse_entries"],
        Backend::Postgres => &[
            "DROP TRIGGER refuse_entries ON access_log",
            "DROP FUNCTION refuse_entry()",
        ],
    };
    for sql in statements {
        sqlx::query(sql).execute(app.db.writer()).await.unwrap();
    }
}

/// A support page or call is logged while it runs; its answer waits for the entry, so one that
/// cannot be logged answers with an error, and nothing it read leaves the server.
async fn a_support_read_that_cannot_be_logged_is_not_answered(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (coach, _client, client_id) = app.coach_and_client().await;
    let operator = operator_inside(&app, &coach).await;
    let client_page = format!("/coach/clients/{client_id}");
    let roster = [("query", ""), ("archived", "false"), ("page", "1")];

    refuse_entries(&app, backend, "page:").await;
    let (status, body) = app.page(&operator, &client_page).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!body.contains("Riley Client"), "{body}");
    allow_entries(&app, backend).await;
    let (status, body) = app.page(&operator, &client_page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Riley Client"), "{body}");

    // Only the call's own entry (`api:clients/get`) fails: the client proof inside logs
    // `client:<id>`, which is written, so only the held answer stands between the data and the
    // operator.
    refuse_entries(&app, backend, "api:").await;
    let profile = [("client_id", client_id.as_str())];
    let refused = app.call(&operator, "clients/get", &profile).await;
    assert_eq!(refused.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!refused.body.to_string().contains("Riley Client"));
    // A list whose entries under its clients cannot be written is not answered either.
    let refused = app.call(&operator, "clients/list", &roster).await;
    assert_eq!(refused.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!refused.body.to_string().contains("Riley Client"));
    allow_entries(&app, backend).await;
    let read = app.ok(&operator, "clients/get", &profile).await;
    assert!(read.to_string().contains("Riley Client"), "{read}");
    app.stop().await;
}

/// A list of more clients than one append takes (100) is logged under every one of them, in
/// one transaction, and the chain stays intact.
async fn a_list_of_many_clients_is_logged_under_each(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;
    for n in 0..101 {
        let id = app
            .create_client(&coach, &format!("Client {n}"), &format!("c{n}@example.com"))
            .await;
        app.ok(
            &coach,
            "todos/create",
            &[("client_id", &id), ("title", "x"), ("due_date", "")],
        )
        .await;
    }
    let operator = operator_inside(&app, &coach).await;
    let todos = app.ok(&operator, "todos/list", &[]).await;
    assert_eq!(todos.as_array().unwrap().len(), 101);
    let count = || async {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(DISTINCT client_id) FROM access_log WHERE object = 'api:todos/list'",
        )
        .fetch_one(app.db.reader())
        .await
        .unwrap();
        n
    };
    assert_eq!(count().await, 101);
    // Read again in another request: logged again, once under each.
    app.ok(&operator, "todos/list", &[]).await;
    let (entries,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM access_log WHERE object = 'api:todos/list' AND client_id IS NOT NULL",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!(entries, 202);
    let said = app.audit_verify().await.unwrap();
    assert!(said.contains("intact"), "{said}");
    app.stop().await;
}
