"""Drives scripts/bench-sealing: the cost of sealing on the hot paths, and of backups.

1. Starts the OLD binary (before sealing) on a fresh SQLite data dir and seeds one coach's
   workspace through the API: 10,000 clients with health details; 1,000 of them join and send
   50 check-ins each (numbers and feedback; every tenth with a 640x480 photo): 50,000 check-ins
   and 5,000 photos.
2. Times the hot paths (medians of 30 calls after 5 warm-ups, over HTTP on loopback): the client
   page (server-rendered), the client's profile, check-in list and progress series, and the
   roster at 10,000 clients (first page, last page, a search).
3. Stops it, copies the data dir, starts the NEW binary on the copy (it seals everything in
   place at first start: timed), and times the same paths.
4. Runs `coachroom backup` on the new data (time, size), `backup verify`, and `restore` into a
   fresh SQLite database (time).
"""

import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import multipart  # noqa: E402
from bench_server import PASSWORD, free_port  # noqa: E402

import io  # noqa: E402
import random  # noqa: E402

from PIL import Image  # noqa: E402

CLIENTS = 10_000
JOINED = 1_000
CHECKINS_PER_CLIENT = 50
PHOTO_EVERY = 10
THREADS = 8


class Running:
    """One server process on a given data dir."""

    def __init__(self, binary, data_dir):
        self.port = free_port()
        self.data = data_dir
        site = os.path.join(data_dir, "site")
        os.makedirs(os.path.join(site, "pkg"), exist_ok=True)
        env = dict(os.environ)
        env.update(
            {
                "COACHROOM_BIND": f"127.0.0.1:{self.port}",
                "COACHROOM_DATA_DIR": data_dir,
                "LEPTOS_SITE_ROOT": site,
                "RUST_LOG": "error",
                "COACHROOM_NEW_ACCOUNTS_MAX_PER_IP": "100000000",
                "COACHROOM_ANONYMOUS_RATE_PER_IP": "100000000",
                "COACHROOM_ANONYMOUS_MAX_PER_IP": "100000000",
                "COACHROOM_UPLOADS_MAX_IN_FLIGHT": "64",
                "COACHROOM_BACKUP_EVERY": "off",
            }
        )
        started = time.time()
        self.proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL)
        # The port is bound before startup work (migrations, sealing in place) is done, so wait
        # for the first answer, not for the port.
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
                conn.request("GET", "/login")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{binary} exited with {self.proc.returncode}")
                time.sleep(0.05)
        self.start_seconds = time.time() - started

    def request(self, method, path, body=b"", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.request(method, path, body, headers or {})
        response = conn.getresponse()
        data = response.read()
        cookie = (response.getheader("Set-Cookie") or "").split(";")[0]
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {data[:200]!r}")
        return data, cookie

    def call(self, endpoint, fields, cookie=None):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if cookie:
            headers["Cookie"] = cookie
        data, new_cookie = self.request(
            "POST", f"/api/{endpoint}", urllib.parse.urlencode(fields).encode(), headers
        )
        return json.loads(data), new_cookie or cookie

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def profile_fields(i):
    return {
        "name": f"Client {i:05d}",
        "email": f"client{i}@example.com",
        "phone": "+1 555 0100",
        "date_of_birth": "1990-01-02",
        "age": "",
        "gender": "female",
        "height": "170",
        "weight": "70",
        "goals": "Run a half marathon by the autumn and keep the knee healthy.",
        "medical_conditions": "Mild asthma; knee surgery in 2019.",
        "dietary_restrictions": "Vegetarian",
        "injuries": "Left knee (ACL, repaired)",
        "medications": "Salbutamol as needed",
        "checkin_day": "monday",
    }


def photo(seed):
    random.seed(seed)
    image = Image.effect_noise((640, 480), 40).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def in_threads(items, work):
    """Runs work(item) over items in THREADS threads; re-raises the first failure."""
    items = list(items)
    failures = []
    lock = threading.Lock()
    next_index = [0]

    def run():
        while True:
            with lock:
                if failures or next_index[0] >= len(items):
                    return
                item = items[next_index[0]]
                next_index[0] += 1
            try:
                work(item)
            except Exception as e:  # noqa: BLE001 - reported below
                with lock:
                    failures.append(e)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]


def seed(server):
    _, coach = server.call(
        "auth/signup", {"name": "Bench Coach", "email": "bench@example.com", "password": PASSWORD}
    )
    ids = [None] * CLIENTS

    def create(i):
        client, _ = server.call("clients/create", profile_fields(i), coach)
        ids[i] = client["id"]

    started = time.time()
    in_threads(range(CLIENTS), create)
    print(f"  {CLIENTS} clients in {time.time() - started:.0f} s", flush=True)
    cookies = [None] * JOINED

    def join(i):
        link, _ = server.call("invites/send", {"client_id": ids[i]}, coach)
        token = link["url"].rsplit("/", 1)[1]
        _, cookies[i] = server.call("invites/accept", {"token": token, "password": PASSWORD})

    started = time.time()
    in_threads(range(JOINED), join)
    print(f"  {JOINED} joined in {time.time() - started:.0f} s", flush=True)
    photos = [photo(n) for n in range(8)]

    def send(job):
        i, n = job
        fields = {
            "weight": f"{70 + (n % 7) * 0.3:.1f}",
            "body_fat": f"{22 + (n % 5) * 0.2:.1f}",
            "waist": f"{80 + (n % 3):.0f}",
            "sleep": "7.5",
            "energy": "4",
            "mood": "4",
            "feedback": f"Week {n}: felt good, knee a little sore after the long run.",
        }
        files = {"photo_front": photos[(i + n) % len(photos)]} if n % PHOTO_EVERY == 0 else {}
        body, content_type = multipart(fields, files)
        server.request(
            "POST",
            "/api/portal/checkins/submit",
            body,
            {"Content-Type": content_type, "Cookie": cookies[i]},
        )

    started = time.time()
    jobs = [(i, n) for n in range(CHECKINS_PER_CLIENT) for i in range(JOINED)]
    in_threads(jobs, send)
    print(
        f"  {len(jobs)} check-ins ({len(jobs) // PHOTO_EVERY} with a photo) in "
        f"{time.time() - started:.0f} s",
        flush=True,
    )
    return ids[0]


def median_ms(run, n=30, warm=5):
    for _ in range(warm):
        run()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def hot_paths(server, client_id):
    _, coach = server.call("auth/login", {"email": "bench@example.com", "password": PASSWORD})
    page = lambda: server.request("GET", f"/coach/clients/{client_id}", headers={"Cookie": coach})  # noqa: E731
    first, _ = server.call("clients/list", {"query": "", "archived": "false", "page": "1"}, coach)
    per_page = max(1, len(first["clients"]))
    last_page = (CLIENTS + per_page - 1) // per_page
    return {
        "client page (SSR)": median_ms(page),
        "client profile (clients/get)": median_ms(
            lambda: server.call("clients/get", {"client_id": client_id}, coach)
        ),
        "check-in list (50)": median_ms(
            lambda: server.call("checkins/list", {"client_id": client_id}, coach)
        ),
        "progress series (50 check-ins)": median_ms(
            lambda: server.call("checkins/progress", {"client_id": client_id}, coach)
        ),
        "roster, first page (10,000 clients)": median_ms(
            lambda: server.call("clients/list", {"query": "", "archived": "false", "page": "1"}, coach)
        ),
        "roster, last page": median_ms(
            lambda: server.call(
                "clients/list", {"query": "", "archived": "false", "page": str(last_page)}, coach
            )
        ),
        "roster, search": median_ms(
            lambda: server.call(
                "clients/list", {"query": "client9876@", "archived": "false", "page": "1"}, coach
            )
        ),
    }


def size_of(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def main():
    new_bin, old_bin = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="coachroom-bench-sealing-")
    try:
        before_dir = os.path.join(work, "before")
        os.makedirs(before_dir)
        print(f"Seeding through {old_bin} (before sealing)", flush=True)
        old = Running(old_bin, before_dir)
        client_id = seed(old)
        before = hot_paths(old, client_id)
        old.stop()

        after_dir = os.path.join(work, "after")
        shutil.copytree(before_dir, after_dir)
        print(f"Starting {new_bin} on a copy: it seals everything in place", flush=True)
        new = Running(new_bin, after_dir)
        sealing_seconds = new.start_seconds
        after = hot_paths(new, client_id)
        new.stop()

        env = dict(os.environ, COACHROOM_DATA_DIR=after_dir, RUST_LOG="error")
        started = time.time()
        said = subprocess.run(
            [new_bin, "backup"], env=env, check=True, capture_output=True, text=True
        ).stdout
        backup_seconds = time.time() - started
        backups = os.path.join(after_dir, "backups")
        backup_file = next(
            os.path.join(backups, f) for f in sorted(os.listdir(backups)) if f.endswith(".tar")
        )
        started = time.time()
        subprocess.run([new_bin, "backup", "verify", backup_file], env=env, check=True,
                       capture_output=True)
        verify_seconds = time.time() - started
        restore_dir = os.path.join(work, "restored")
        os.makedirs(restore_dir)
        shutil.copy(os.path.join(after_dir, "master.key"), restore_dir)
        restore_env = dict(env, COACHROOM_DATA_DIR=restore_dir)
        started = time.time()
        subprocess.run([new_bin, "restore", backup_file], env=restore_env, check=True,
                       capture_output=True)
        restore_seconds = time.time() - started

        print()
        print(f"New: {new_bin}; old: {old_bin}; {os.cpu_count()} cores")
        print()
        print("| Hot path (median of 30) | before sealing | after | ratio |")
        print("|---|---|---|---|")
        for name, was in before.items():
            now = after[name]
            print(f"| {name} | {was:.1f} ms | {now:.1f} ms | {now / was:.2f}x |")
        print()
        print(f"Sealing in place at first start (10,000 clients, 50,000 check-ins, 5,000 "
              f"photos): {sealing_seconds:.0f} s")
        print(f"Data dir: {size_of(before_dir) / 1e6:.0f} MB before, "
              f"{size_of(os.path.join(after_dir, 'files')) / 1e6 + os.path.getsize(os.path.join(after_dir, 'coachroom.db')) / 1e6:.0f} MB after (database and files)")
        print(f"Backup: {backup_seconds:.1f} s, {os.path.getsize(backup_file) / 1e6:.0f} MB "
              f"({said.strip()})")
        print(f"Verify: {verify_seconds:.1f} s; restore into a fresh SQLite: {restore_seconds:.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
