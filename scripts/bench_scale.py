"""Parts a to g of scripts/bench (speed and scale): a to f on SQLite, and g, the same on
PostgreSQL (the second column):

a. `clients/get` (session, ownership proof, SELECT) against a bare axum handler in the same
   process doing the same SELECT (`COACHROOM_BENCH_BASELINE`): requests per second, and the
   ratio.
b. 32 check-in writers at once (multipart, no photos) against one writer: errors and check-ins
   per second.
c. A coach's `clients/get` p99 while b's 32 writers run, against idle.
d. `auth/me` p99 while 500 connections flood wrong-password logins and 500 flood sign-ups, with
   the default limits, against idle.
e. Roster, inbox, client page, progress and dashboard p99 in a workspace of 10,000 clients and
   1,000,000 check-ins against one of 100 clients and 10,000 check-ins (`coachroom seed`).
f. The peak RSS of every server of the run (VmHWM).

Each part starts its own server on a fresh database; wrk is the load generator. b and c run
together (`BENCH_ONLY=bc`). Figures, not assertions: the README keeps the latest table.
"""

import os
import re
import subprocess
import tempfile
import time
import urllib.parse

from bench import LUA_SIGNUP, Server, p99_ms, requests_per_sec, wrk, write_lua
from bench_server import PASSWORD

PG_ADMIN = os.environ.get("COACHROOM_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))


class Database:
    """A fresh database for one server: a SQLite file in its data dir, or a new PostgreSQL
    database (dropped afterwards) with a master key file made by the binary."""

    counter = 0

    def __init__(self, binary, backend):
        self.binary = binary
        self.backend = backend
        self.name = None
        self.key_dir = None

    def env(self):
        if self.backend == "sqlite":
            return {}
        Database.counter += 1
        self.name = f"coachroom_bench_{os.getpid()}_{Database.counter}"
        psql(f"DROP DATABASE IF EXISTS {self.name}")
        psql(f"CREATE DATABASE {self.name}")
        self.key_dir = tempfile.mkdtemp(prefix="coachroom-bench-key-")
        key = os.path.join(self.key_dir, "master.key")
        subprocess.run([self.binary, "keys", "new", "--out", key], check=True,
                       capture_output=True)
        base = PG_ADMIN.rsplit("/", 1)[0]
        return {"DATABASE_URL": f"{base}/{self.name}", "COACHROOM_MASTER_KEY_FILE": key}

    def drop(self):
        if self.name:
            psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def psql(sql):
    subprocess.run(["psql", PG_ADMIN, "-q", "-c", sql], check=True, capture_output=True)


class Run:
    """Servers started for one backend, and the largest peak RSS among them."""

    def __init__(self, binary, backend):
        self.binary = binary
        self.backend = backend
        self.peak_rss_kb = 0

    def start(self, env_extra=None):
        database = Database(self.binary, self.backend)
        env = {"COACHROOM_NEW_ACCOUNTS_MAX_PER_IP": "100000",
               "COACHROOM_ANONYMOUS_RATE_PER_IP": "100000",
               "COACHROOM_BACKUP_EVERY": "off",
               **database.env(), **(env_extra or {})}
        server = Server(self.binary, env)
        server.database = database
        return server

    def stop(self, server):
        with open(f"/proc/{server.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    self.peak_rss_kb = max(self.peak_rss_kb, int(line.split()[1]))
        server.stop()
        server.database.drop()

    def seed(self, server, clients, checkins_per_client):
        """`coachroom seed` beside the running server; returns the coach's cookie."""
        started = time.time()
        # The server's own environment: its database, data directory and master key.
        done = subprocess.run(
            [self.binary, "seed", "--clients", str(clients),
             "--checkins-per-client", str(checkins_per_client), "--email", "bench@example.com"],
            env=server.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"coachroom seed failed: {done.stderr.strip()}")
        said = done.stdout
        seconds = time.time() - started
        password = said.rsplit("with the password ", 1)[1].strip()
        _, cookie = server.call("auth/login", {"email": "bench@example.com",
                                               "password": password})
        return cookie, seconds


def lua_post(directory, name, fields):
    body = urllib.parse.urlencode(fields)
    return write_lua(directory, name, (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.body = "{body}"\n'))


def errors(wrk_output):
    """Non-2xx answers plus socket errors (connect, read, write, timeout) in wrk's output."""
    found = 0
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk_output)
    if match:
        found += int(match.group(1))
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                      wrk_output)
    if match:
        found += sum(int(n) for n in match.groups())
    return found


def measure(port, path, script, cookie, connections=4, seconds=SECONDS):
    out = wrk(port, path, connections, seconds, script, cookie, latency=True).communicate()[0]
    if errors(out) or "Requests/sec" not in out:
        raise RuntimeError(f"{path}: errors under load\n{out}")
    return out


def first_client(server, cookie):
    page, _ = server.call("clients/list", {"query": "", "archived": "false", "page": "1"},
                          cookie)
    return page["clients"][0]["id"]


def part_a(run, lua):
    """The authorized server fn against the bare handler, same process, same row."""
    server = run.start({"COACHROOM_BENCH_BASELINE": "true"})
    try:
        cookie, _ = run.seed(server, 100, 10)
        me, _ = server.call("auth/me", {}, cookie)
        client_id = first_client(server, cookie)
        script = lua_post(lua, "get.lua", {"client_id": client_id})
        bare = f"/bench/baseline/clients/{me['user_id']}/{client_id}"
        # Warm both, then measure each twice, interleaved, and keep the better of each.
        measure(server.port, "/api/clients/get", script, cookie, 16, 2)
        measure(server.port, bare, None, None, 16, 2)
        fn_rps, bare_rps = 0.0, 0.0
        for _ in range(2):
            fn_rps = max(fn_rps, requests_per_sec(
                measure(server.port, "/api/clients/get", script, cookie, 16)))
            bare_rps = max(bare_rps, requests_per_sec(measure(server.port, bare, None, None, 16)))
        return {"fn_rps": fn_rps, "bare_rps": bare_rps, "ratio": fn_rps / bare_rps}
    finally:
        run.stop(server)


LUA_CHECKIN = """
wrk.method = "POST"
local boundary = "----coachroombench"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\\r\\nContent-Disposition: form-data; name=\\"weight\\"\\r\\n\\r\\n81.5\\r\\n" ..
  "--" .. boundary .. "\\r\\nContent-Disposition: form-data; name=\\"feedback\\"\\r\\n\\r\\nA good week.\\r\\n" ..
  "--" .. boundary .. "--\\r\\n"
cookies = {COOKIES}
counter = 0
request = function()
  counter = counter + 1
  wrk.headers["Cookie"] = cookies[(counter % #cookies) + 1]
  return wrk.format()
end
"""


def joined_clients(server, coach, count):
    cookies = []
    for n in range(count):
        fields = {
            "name": f"Writer {n}", "email": f"writer{n}@example.com",
            "phone": "", "date_of_birth": "", "age": "", "gender": "", "height": "",
            "weight": "", "goals": "", "medical_conditions": "", "dietary_restrictions": "",
            "injuries": "", "medications": "", "checkin_day": "",
        }
        client, _ = server.call("clients/create", fields, coach)
        link, _ = server.call("invites/send", {"client_id": client["id"]}, coach)
        token = link["url"].rsplit("/", 1)[1]
        _, cookie = server.call("invites/accept", {"token": token, "password": PASSWORD})
        cookies.append(cookie)
    return cookies


def writers_script(lua, name, cookies):
    listed = "{" + ", ".join(f'"{c}"' for c in cookies) + "}"
    return write_lua(lua, name, LUA_CHECKIN.replace("{COOKIES}", listed))


def parts_b_c(run, lua):
    """32 check-in writers against one; a coach's reads during the 32 against idle."""
    server = run.start({"COACHROOM_UPLOADS_MAX_IN_FLIGHT": "256",
                        "COACHROOM_UPLOADS_MAX_PER_USER": "256"})
    try:
        coach, _ = run.seed(server, 100, 10)
        client_id = first_client(server, coach)
        read = lua_post(lua, "read.lua", {"client_id": client_id})
        cookies = joined_clients(server, coach, 32)
        one = requests_per_sec(measure(server.port, "/api/portal/checkins/submit",
                                       writers_script(lua, "one.lua", cookies[:1]), None, 1))
        idle = p99_ms(measure(server.port, "/api/clients/get", read, coach))
        writers = wrk(server.port, "/api/portal/checkins/submit", 32, SECONDS + 4,
                      writers_script(lua, "many.lua", cookies), None, latency=True)
        time.sleep(2)
        busy = p99_ms(measure(server.port, "/api/clients/get", read, coach))
        many_out = writers.communicate()[0]
        return {"one_rps": one, "many_rps": requests_per_sec(many_out), "errors": errors(many_out),
                "read_idle_p99": idle, "read_busy_p99": busy}
    finally:
        run.stop(server)


LUA_LOGIN_FLOOD = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
counter = 0
request = function()
  counter = counter + 1
  local body = "email=bench%40example.com&password=wrong-password-" .. counter
  return wrk.format(nil, nil, nil, body)
end
"""

def part_d(run, lua):
    """auth/me while strangers flood logins and sign-ups, with the default limits."""
    server = run.start({"COACHROOM_NEW_ACCOUNTS_MAX_PER_IP": "10",
                        "COACHROOM_ANONYMOUS_RATE_PER_IP": "20"})
    try:
        cookie, _ = run.seed(server, 10, 1)
        me = write_lua(lua, "me.lua", 'wrk.method = "POST"\n')
        idle = p99_ms(measure(server.port, "/api/auth/me", me, cookie))
        floods = [
            wrk(server.port, "/api/auth/login", 500, SECONDS + 4,
                write_lua(lua, "login.lua", LUA_LOGIN_FLOOD)),
            wrk(server.port, "/api/auth/signup", 500, SECONDS + 4,
                write_lua(lua, "signup.lua", LUA_SIGNUP)),
        ]
        time.sleep(2)
        busy = p99_ms(measure(server.port, "/api/auth/me", me, cookie))
        flood_rps = sum(requests_per_sec(f.communicate()[0]) for f in floods)
        return {"idle_p99": idle, "busy_p99": busy, "flood_rps": flood_rps}
    finally:
        run.stop(server)


def scale_views(run, lua, clients, checkins_per_client):
    """p99 of each view in a seeded workspace of this size."""
    server = run.start()
    try:
        cookie, seeded_in = run.seed(server, clients, checkins_per_client)
        client_id = first_client(server, cookie)
        posts = {
            "roster": ("/api/clients/list",
                       {"query": "", "archived": "false", "page": "1"}),
            "inbox": ("/api/checkins/inbox", {"page": "1"}),
            "progress": ("/api/checkins/progress", {"client_id": client_id}),
        }
        p99 = {}
        for name, (path, fields) in posts.items():
            script = lua_post(lua, f"{name}.lua", fields)
            p99[name] = p99_ms(measure(server.port, path, script, cookie))
        for name, path in (("client page", f"/coach/clients/{client_id}"),
                           ("dashboard", "/coach")):
            p99[name] = p99_ms(measure(server.port, path, None, cookie))
        return p99, seeded_in
    finally:
        run.stop(server)


def part_e(run, lua):
    small, small_seed = scale_views(run, lua, 100, 100)
    large, large_seed = scale_views(run, lua,
                                    int(os.environ.get("BENCH_LARGE_CLIENTS", "10000")), 100)
    return {"small": small, "large": large, "small_seed_s": small_seed,
            "large_seed_s": large_seed}


def run_backend(binary, backend, only):
    run = Run(binary, backend)
    lua = tempfile.mkdtemp(prefix="coachroom-bench-lua-")
    results = {}
    for name, part in (("a", part_a), ("bc", parts_b_c), ("d", part_d), ("e", part_e)):
        if not only or name in only:
            print(f"  {backend}: part {name}", flush=True)
            results[name] = part(run, lua)
    results["f"] = run.peak_rss_kb / 1024
    return results


def fmt_ms(value):
    return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def print_table(by_backend):
    backends = list(by_backend)
    print()
    print("| Part | " + " | ".join(
        "SQLite" if b == "sqlite" else "PostgreSQL" for b in backends) + " | Target |")
    print("|---|" + "---|" * len(backends) + "---|")

    def row(label, cell, target):
        cells = []
        for b in backends:
            try:
                cells.append(cell(by_backend[b]))
            except KeyError:
                cells.append("not run")
        print(f"| {label} | " + " | ".join(cells) + f" | {target} |")

    row("a. `clients/get` req/s / bare handler req/s",
        lambda r: f"{r['a']['fn_rps']:,.0f} / {r['a']['bare_rps']:,.0f} = "
                  f"**{r['a']['ratio']:.2f}**", "≥ 0.8")
    row("b. 32 check-in writers: errors; check-ins/s against one writer",
        lambda r: f"{r['bc']['errors']} errors; {r['bc']['many_rps']:,.0f} against "
                  f"{r['bc']['one_rps']:,.0f} (**×{r['bc']['many_rps'] / r['bc']['one_rps']:.1f}**)",
        "0 errors")
    row("c. `clients/get` p99 during b / idle",
        lambda r: f"{fmt_ms(r['bc']['read_busy_p99'])} / {fmt_ms(r['bc']['read_idle_p99'])} = "
                  f"**{r['bc']['read_busy_p99'] / r['bc']['read_idle_p99']:.1f}**", "≤ 3")
    row("d. `auth/me` p99 during a login + sign-up flood / idle",
        lambda r: f"{fmt_ms(r['d']['busy_p99'])} / {fmt_ms(r['d']['idle_p99'])} = "
                  f"**{r['d']['busy_p99'] / r['d']['idle_p99']:.1f}** "
                  f"({r['d']['flood_rps']:,.0f} flood req/s)", "≤ 2")
    for view in ("roster", "inbox", "client page", "progress", "dashboard"):
        row(f"e. {view} p99, 10,000 clients × 100 / 100 × 100",
            lambda r, v=view: f"{fmt_ms(r['e']['large'][v])} / {fmt_ms(r['e']['small'][v])} = "
                              f"**{r['e']['large'][v] / r['e']['small'][v]:.1f}**", "≤ 2")
    row("e. `coachroom seed` time, 1,000,000 / 10,000 check-ins",
        lambda r: f"{r['e']['large_seed_s']:.0f} s / {r['e']['small_seed_s']:.1f} s", "")
    row("f. peak RSS of any server in the run", lambda r: f"**{r['f']:.0f} MB**", "≤ 150 MB")


def postgres_answers():
    try:
        psql("SELECT 1")
        return True
    except (OSError, subprocess.CalledProcessError) as err:
        print(f"  PostgreSQL at {PG_ADMIN} does not answer ({err}); measuring SQLite only")
        return False


def main(binary, only):
    backends = [b for b in os.environ.get("BENCH_BACKENDS", "sqlite,postgres").split(",") if b]
    if "postgres" in backends and not postgres_answers():
        backends.remove("postgres")
    results = {}
    for backend in backends:
        results[backend] = run_backend(binary, backend, only)
        # Printed as each database finishes, so a later failure loses nothing.
        print_table(results)
