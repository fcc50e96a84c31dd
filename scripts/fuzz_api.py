"""Helpers for scripts/fuzz-api, in three roles.

As a program, `python fuzz_api.py smtp <port> <mail dir>`: an SMTP server (aiosmtpd) that keeps
every message as a file in <mail dir>. The fuzzed server sends its emails there: with SMTP set
up every call runs its real code (changing a login email, for one, answers 503 without it).

As a program, `python fuzz_api.py setup <base url> <out.json> <mail dir>`: through the API,
signs up a coach, adds a client who joins (both by the links emailed to <mail dir>), gives them
one object of every kind, and writes both session cookies and the objects' ids to <out.json>.

As schemathesis hooks (SCHEMATHESIS_HOOKS=fuzz_api, COACHROOM_FUZZ_IDS=<out.json>): puts those
real ids in place of the made-up ones in generated requests. Made-up ids stop nearly every
call at the ownership check (404); real ones let the fuzzed values reach the code that parses
and stores them. And it sends booleans in forms as `true`/`false`, as a browser's form and
the OpenAPI form style do; left alone, Python would send `True`, which no call accepts, so
every call with a boolean argument would stop at 400.
"""

import email
import email.policy
import glob
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

PASSWORD = "fuzzing password 1234"


class Api:
    """POSTs to /api/<endpoint> with one user's session cookie."""

    def __init__(self, base):
        self.base = base
        self.cookie = None

    def call(self, endpoint, body, content_type):
        request = urllib.request.Request(
            f"{self.base}/api/{endpoint}", data=body, method="POST"
        )
        request.add_header("Content-Type", content_type)
        if self.cookie:
            request.add_header("Cookie", f"coachroom_session={self.cookie}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                for header in response.headers.get_all("Set-Cookie") or []:
                    name, _, rest = header.partition("=")
                    if name == "coachroom_session":
                        self.cookie = rest.split(";", 1)[0]
                return json.load(response)
        except urllib.error.HTTPError as err:
            sys.exit(f"setup: {endpoint} answered {err.code}: {err.read()[:300]!r}")

    def form(self, endpoint, **fields):
        body = urllib.parse.urlencode(fields).encode()
        return self.call(endpoint, body, "application/x-www-form-urlencoded")

    def json(self, endpoint, value):
        return self.call(endpoint, json.dumps(value).encode(), "application/json")

    def multipart(self, endpoint, **fields):
        boundary = "fuzzsetupboundary"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        body = ("".join(parts) + f"--{boundary}--\r\n").encode()
        return self.call(endpoint, body, f"multipart/form-data; boundary={boundary}")


def smtp(port, mail_dir):
    """Runs until killed, keeping each message as <mail dir>/<n>.eml."""
    from aiosmtpd.controller import Controller

    os.makedirs(mail_dir, exist_ok=True)

    class Keep:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Keep.count += 1
            path = os.path.join(mail_dir, f"{Keep.count:06d}.eml")
            with open(path + ".part", "wb") as f:
                f.write(envelope.original_content or envelope.content)
            os.replace(path + ".part", path)
            return "250 OK"

    controller = Controller(Keep(), hostname="127.0.0.1", port=int(port))
    controller.start()
    print(f"SMTP stand-in on 127.0.0.1:{port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def messages(mail_dir):
    return sorted(glob.glob(os.path.join(mail_dir, "*.eml")))


def emailed_link(mail_dir, to, path_pattern, send):
    """Calls send(), then waits for a message to <to> holding <path_pattern>/<token> among the
    ones that came after, and returns the token. (Emails go out after the answer, and an
    earlier run's message to the same address must not be taken for this one.)"""
    before = set(messages(mail_dir))
    send()
    pattern = re.compile(re.escape(path_pattern) + r"/([0-9a-f]{32,})")
    for _ in range(100):
        for path in reversed([m for m in messages(mail_dir) if m not in before]):
            with open(path, "rb") as f:
                message = email.message_from_binary_file(f, policy=email.policy.default)
            if to not in str(message["To"]):
                continue
            found = pattern.search(message.get_body(("plain",)).get_content())
            if found:
                return found.group(1)
        time.sleep(0.1)
    sys.exit(f"setup: no email to {to} with a {path_pattern} link in {mail_dir}")


def setup(base, out, mail_dir):
    coach, client = Api(base), Api(base)
    coach_email = "coach@fuzz.example"
    token = emailed_link(
        mail_dir,
        coach_email,
        "/signup/confirm",
        lambda: coach.form(
            "auth/signup", name="Fuzz Coach", email=coach_email, password=PASSWORD
        ),
    )
    me = coach.form("auth/signup/confirm", token=token, password=PASSWORD)
    profile = {
        field: ""
        for field in (
            "phone date_of_birth age gender height weight goals medical_conditions "
            "dietary_restrictions injuries medications checkin_day"
        ).split()
    }
    client_id = coach.form(
        "clients/create", name="Fuzz Client", email="client@fuzz.example", **profile
    )["id"]
    token = emailed_link(
        mail_dir,
        "client@fuzz.example",
        "/invite",
        lambda: coach.form("invites/send", client_id=client_id),
    )
    client.form("invites/accept", token=token, password=PASSWORD)

    note = coach.form("notes/create", client_id=client_id, body="A note")
    todo = coach.form("todos/create", client_id=client_id, title="A to-do", due_date="")
    goals = coach.form(
        "goals/create", client_id=client_id, title="Train", kind="habit", metric="",
        target="", target_date="", per_week="3",
    )
    meal_plan = coach.form("meal_plans/create", name="Meals", client_id=client_id)
    workout_plan = coach.form("workout_plans/create", name="Workouts", client_id=client_id)
    form_id = coach.form("forms/create", name="Questions", kind="questionnaire")
    coach.json(
        "forms/save",
        {
            "form_id": form_id,
            "form": {
                "name": "Questions",
                "kind": "questionnaire",
                "fields": [{"id": "sleep", "label": "How do you sleep?", "field_type": "text"}],
            },
        },
    )
    assignment = coach.form("forms/assign", form_id=form_id, client_id=client_id)
    session_id = coach.form(
        "sessions/create", client_id=client_id, held_at="2026-01-05T10:00", duration_min="45",
        title="Kick-off", tags="start", private_notes="", summary="We started.",
        transcript="Coach: Hello.\nClient: Hi.",
    )
    detail = coach.form(
        "sessions/action_items/add", session_id=session_id, owner="client",
        text="Walk daily", due_date="", shared="true",
    )
    checkin = client.multipart("portal/checkins/submit", weight="80", feedback="Good week")

    ids = {
        "workspace_id": me["user_id"],
        "client_id": client_id,
        "note_id": note["id"],
        "todo_id": todo["id"],
        "goal_id": goals[0]["id"],
        "meal_plan_id": meal_plan,
        "workout_plan_id": workout_plan,
        "form_id": form_id,
        "assignment_id": assignment,
        "session_id": session_id,
        "item_id": detail["action_items"][0]["id"],
        "checkin_id": checkin["id"],
    }
    with open(out, "w") as f:
        json.dump({"coach": coach.cookie, "client": client.cookie, "ids": ids}, f)


def real_id(path, name, ids):
    if name == "plan_id":
        name = "workout_plan_id" if "/workout_plans/" in path else "meal_plan_id"
    return ids.get(name)


def keeps_made_up_id(value):
    # About one case in four keeps its made-up id, chosen by the value itself rather than at
    # random, so that a replayed case (Hypothesis replays failures) is sent the same way.
    return zlib.crc32(repr(value).encode()) % 4 == 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "smtp":
        smtp(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "setup":
        setup(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(
            "usage: fuzz_api.py smtp <port> <mail dir> | setup <base url> <out.json> <mail dir>"
        )
else:
    import schemathesis

    with open(os.environ["COACHROOM_FUZZ_IDS"]) as f:
        IDS = json.load(f)["ids"]

    def form_value(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return [form_value(v) for v in value]
        return value

    @schemathesis.hook
    def before_call(context, case, kwargs):
        if case.media_type == "application/x-www-form-urlencoded" and isinstance(case.body, dict):
            for name, value in case.body.items():
                case.body[name] = form_value(value)
        # Deletes keep made-up ids, so the objects stay for the rest of the run.
        if case.path.endswith("/delete"):
            return
        for values in (case.body, case.path_parameters):
            if not isinstance(values, dict):
                continue
            for name, value in values.items():
                replacement = real_id(case.path, name, IDS)
                if replacement and not keeps_made_up_id(value):
                    values[name] = replacement
