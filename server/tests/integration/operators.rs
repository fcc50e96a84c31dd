//! Operators on both databases: made only by `coachroom admin add`, set up through the one-time
//! link, signed in with a password and a TOTP code that works once and only around its time;
//! the console gives counts and coach accounts, never a client's name, and suspends a coach at
//! once. (Every content server fn refusing an operator is in the authorization matrix.)

use crate::common;

use common::{setup_token, totp_code, Backend, TestApp, PASSWORD};
use reqwest::StatusCode;

cases_on_both_backends!(
    an_operator_is_made_on_the_command_line_and_signs_in_with_a_code,
    the_console_counts_without_content_and_suspends_a_coach,
);

async fn an_operator_is_made_on_the_command_line_and_signs_in_with_a_code(backend: Backend) {
    // More wrong tries than the login throttle allows by default (it is tested apart).
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.login_max_per_account = Some("50".into());
    })
    .await
    else {
        return;
    };
    let email = "ops@example.com";
    let said = app.admin_add(email).await.unwrap();
    assert!(said.contains("Operator account created"), "{said}");
    let token = setup_token(&said);
    let http = app.client();

    // Not usable before setup: no password, no sign-in of any kind.
    app.call(
        &http,
        "operator/login",
        &[("email", email), ("password", PASSWORD), ("code", "123456")],
    )
    .await
    .assert_refused(StatusCode::UNAUTHORIZED, "");

    // The link shows the account and the authenticator secret; a wrong token is refused.
    let info = app
        .ok(&http, "operator/setup/info", &[("token", &token)])
        .await;
    assert_eq!(info["email"], email);
    let secret = info["totp_secret"].as_str().unwrap().to_owned();
    assert!(info["otpauth_url"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/Coachroom:ops%40example.com?secret="));
    app.call(&http, "operator/setup/info", &[("token", "abc123")])
        .await
        .assert_refused(StatusCode::CONFLICT, "no longer valid");

    // Setup wants a code the authenticator shows now, and a real password.
    let finish = |password: &'static str, code: String| {
        let (app, http, token) = (&app, &http, token.clone());
        async move {
            app.call(
                http,
                "operator/setup/finish",
                &[("token", &token), ("password", password), ("code", &code)],
            )
            .await
        }
    };
    finish(PASSWORD, totp_code(&secret, 10))
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "Code is not the one");
    finish(PASSWORD, "12345".into())
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "6 digits");
    finish("short", totp_code(&secret, 0))
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "Password");
    let setup_code = totp_code(&secret, 0);
    let me = finish(PASSWORD, setup_code.clone()).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["role"], "admin");
    app.ok(&http, "operator/overview", &[]).await;
    // The link is spent.
    app.call(&http, "operator/setup/info", &[("token", &token)])
        .await
        .assert_refused(StatusCode::CONFLICT, "no longer valid");

    // The ordinary login does not know operators: the code is not optional.
    app.call(
        &app.client(),
        "auth/login",
        &[("email", email), ("password", PASSWORD)],
    )
    .await
    .assert_refused(StatusCode::UNAUTHORIZED, "");

    let login = |password: &'static str, code: String| {
        let app = &app;
        async move {
            let http = app.client();
            let response = app
                .call(
                    &http,
                    "operator/login",
                    &[("email", email), ("password", password), ("code", &code)],
                )
                .await;
            (http, response)
        }
    };
    // The setup's code was used; an old code (expired) and one from the future are refused.
    let (_, reused) = login(PASSWORD, setup_code).await;
    reused.assert_refused(StatusCode::UNAUTHORIZED, "");
    let (_, expired) = login(PASSWORD, totp_code(&secret, -3)).await;
    expired.assert_refused(StatusCode::UNAUTHORIZED, "");
    let (_, future) = login(PASSWORD, totp_code(&secret, 4)).await;
    future.assert_refused(StatusCode::UNAUTHORIZED, "");
    let (_, wrong_password) = login("not the password at all", totp_code(&secret, 1)).await;
    wrong_password.assert_refused(StatusCode::UNAUTHORIZED, "");
    // The next step's code works once.
    let next = totp_code(&secret, 1);
    let (operator, ok) = login(PASSWORD, next.clone()).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    app.ok(&operator, "operator/overview", &[]).await;
    let (_, again) = login(PASSWORD, next).await;
    again.assert_refused(StatusCode::UNAUTHORIZED, "");
    // Malformed codes are named.
    let (_, malformed) = login(PASSWORD, "12a456".into()).await;
    malformed.assert_refused(StatusCode::BAD_REQUEST, "Code");

    // Both sign-ins are in the log, as an operator's, touching no workspace.
    let (sign_ins,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM access_log WHERE actor_kind = 'operator' AND action = 'sign_in' \
         AND coach_id IS NULL",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!(sign_ins, 2);

    // `admin add` again resets the account (a lost phone): signed out, locked until the new
    // link is used.
    let said = app.admin_add(email).await.unwrap();
    assert!(said.contains("locked and reset"), "{said}");
    app.call(&operator, "operator/overview", &[])
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, "");
    let (_, locked) = login(PASSWORD, totp_code(&secret, 1)).await;
    locked.assert_refused(StatusCode::UNAUTHORIZED, "");
    app.ok(
        &app.client(),
        "operator/setup/info",
        &[("token", &setup_token(&said))],
    )
    .await;

    // A coach's address cannot become an operator's; a bad address is named.
    app.signup_coach(&app.client(), "Casey Coach", "casey@example.com")
        .await;
    let err = app.admin_add("casey@example.com").await.unwrap_err();
    assert!(err.contains("belongs to a coach or client"), "{err}");
    let err = app.admin_add("not-an-email").await.unwrap_err();
    assert!(err.starts_with("EMAIL:"), "{err}");
    app.stop().await;
}

async fn the_console_counts_without_content_and_suspends_a_coach(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (coach, client, _client_id) = app.coach_and_client().await;
    let other = app.client();
    app.signup_coach(&other, "Other Coach", "other@example.com")
        .await;
    app.create_client(&other, "Hidden Person", "hidden@example.com")
        .await;
    let (operator, _) = app.operator("ops@example.com").await;

    let overview = app.ok(&operator, "operator/overview", &[]).await;
    assert_eq!(overview["coaches"], 2, "{overview}");
    assert_eq!(overview["suspended_coaches"], 0);
    assert_eq!(overview["clients"], 2);
    assert!(overview["database_bytes"].as_i64().unwrap() > 0);
    assert_eq!(overview["last_backup"], serde_json::Value::Null);
    let coaches = app
        .ok(&operator, "operator/coaches/list", &[("after", "")])
        .await;
    let rows = coaches["coaches"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["email"], "casey@example.com");
    assert_eq!(rows[1]["name"], "Other Coach");
    assert_eq!(coaches["next_after"], serde_json::Value::Null);
    for body in [overview.to_string(), coaches.to_string()] {
        for client_detail in ["Riley", "riley@", "Hidden Person", "hidden@"] {
            assert!(!body.contains(client_detail), "{client_detail} in {body}");
        }
    }
    app.call(&operator, "operator/coaches/list", &[("after", "x")])
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "After");
    // The operator's own steps are in the chain: made on the command line (no user acting),
    // the password set, the sign-in, each console read. They are platform events, in no
    // workspace's log.
    let (operator_id,): (String,) =
        sqlx::query_as("SELECT id FROM users WHERE email = 'ops@example.com'")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    // (action, actor_id, object, coach_id)
    type Step = (String, Option<String>, Option<String>, Option<String>);
    let steps: Vec<Step> = sqlx::query_as(
        "SELECT action, actor_id, object, coach_id FROM access_log \
         WHERE actor_kind = 'operator' ORDER BY seq",
    )
    .fetch_all(app.db.reader())
    .await
    .unwrap();
    let me = Some(operator_id.clone());
    let endpoint = |e: &str| Some(format!("api:{e}"));
    assert_eq!(
        steps,
        [
            (
                "operator_enrolled".into(),
                None,
                Some(format!("operator:{operator_id}")),
                None
            ),
            ("password_changed".into(), me.clone(), None, None),
            ("sign_in".into(), me.clone(), None, None),
            (
                "operator_read".into(),
                me.clone(),
                endpoint("operator/overview"),
                None
            ),
            (
                "operator_read".into(),
                me.clone(),
                endpoint("operator/coaches/list"),
                None
            ),
        ]
    );

    // A backup made beside the server shows as the last one.
    coachroom_server::backup_command(&app.command_config(|_| {}), None)
        .await
        .unwrap();
    let overview = app.ok(&operator, "operator/overview", &[]).await;
    assert!(overview["last_backup"]["bytes"].as_i64().unwrap() > 0);

    // Suspending signs the coach out at once and refuses their sign-in; their client keeps the
    // portal, and the other coach is untouched.
    let casey_id = rows[0]["user_id"].as_str().unwrap().to_owned();
    let suspended = app
        .ok(
            &operator,
            "operator/coaches/suspend",
            &[("coach_id", &casey_id), ("suspended", "true")],
        )
        .await;
    assert!(suspended["suspended_at"].is_i64());
    // Suspending again changes (and logs) nothing.
    let again = app
        .ok(
            &operator,
            "operator/coaches/suspend",
            &[("coach_id", &casey_id), ("suspended", "true")],
        )
        .await;
    assert_eq!(again["suspended_at"], suspended["suspended_at"]);
    app.call(
        &coach,
        "clients/list",
        &[("query", ""), ("archived", "false"), ("page", "1")],
    )
    .await
    .assert_refused(StatusCode::UNAUTHORIZED, "");
    let refused = app
        .call(
            &app.client(),
            "auth/login",
            &[("email", "casey@example.com"), ("password", PASSWORD)],
        )
        .await;
    refused.assert_refused(StatusCode::FORBIDDEN, "");
    assert_eq!(refused.kind(), "suspended");
    // A wrong password still gets the ordinary answer: the suspension is told only to the owner.
    app.call(
        &app.client(),
        "auth/login",
        &[
            ("email", "casey@example.com"),
            ("password", "wrong password here"),
        ],
    )
    .await
    .assert_refused(StatusCode::UNAUTHORIZED, "");
    app.ok(&client, "portal/deletion/status", &[]).await;
    app.ok(&other, "auth/me", &[]).await;
    let overview = app.ok(&operator, "operator/overview", &[]).await;
    assert_eq!(overview["suspended_coaches"], 1);

    // Reinstated, the coach signs in again and reads both steps in their access log.
    app.ok(
        &operator,
        "operator/coaches/suspend",
        &[("coach_id", &casey_id), ("suspended", "false")],
    )
    .await;
    let coach = app.login("casey@example.com", PASSWORD).await;
    let log = app
        .ok(
            &coach,
            "access_log/list",
            &[("client_id", ""), ("actor", "operator"), ("before", "0")],
        )
        .await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["coach_reinstated", "coach_suspended"]);

    // Only coach accounts: a client's user, a stranger's id or a malformed one is not found.
    let (client_user,): (String,) =
        sqlx::query_as("SELECT id FROM users WHERE email = 'riley@example.com'")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    for coach_id in [client_user.as_str(), &"0".repeat(32), "nope"] {
        app.call(
            &operator,
            "operator/coaches/suspend",
            &[("coach_id", coach_id), ("suspended", "true")],
        )
        .await
        .assert_refused(StatusCode::NOT_FOUND, "");
    }
    // And nobody else runs the console.
    for (who, http) in [("coach", &coach), ("client", &client)] {
        for endpoint in ["operator/overview", "operator/coaches/list"] {
            let response = app.call(http, endpoint, &[("after", "")]).await;
            assert_eq!(
                response.status,
                StatusCode::FORBIDDEN,
                "{endpoint} as {who}"
            );
        }
    }
    app.stop().await;
}
