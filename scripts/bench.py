"""Drives scripts/bench: starts the server on a free port with a fresh SQLite data directory,
then measures, printing one table:

1. A signed-in coach's `auth/me` latency (wrk, 4 connections) when idle.
2. The same while 500 connections flood `invites/accept` (bogus token) and 500 flood
   `auth/signup` (fresh emails), all from 127.0.0.1: with the default limits; with the login and
   sign-up throttles raised; and with the anonymous lane's per-address limits raised too, as if
   the flood came from many addresses. The server's peak RSS throughout.
3. 50 clients each sending a check-in with four ~1.5 MB photos at the same moment: how many
   were taken and refused (429), and the server's peak RSS.
4. A client with 500 photos downloading their data (`/api/portal/export`): the ZIP's size, the
   time, and the server's peak RSS (the export streams, one photo in memory at a time).
5. A coach's client page loaded by the coach, and by an operator under the coach's support grant
   (every such request is logged, the page held until its entry commits): median and p90 of
   300 loads each, interleaved after 10 to warm up.

6. Speed and scale, parts a to g, on SQLite and PostgreSQL (see bench_scale.py).

`BENCH_ONLY=export,support` runs only the named parts (flood, uploads, export, support, and
scale for all of a to g, or a, bc, d, e alone); `BENCH_BACKENDS=sqlite` keeps the scale parts to
one database (PostgreSQL at COACHROOM_BENCH_PG, psql on PATH; skipped when it does not answer).
"""

import base64
import hashlib
import hmac
import http.client
import io
import statistics
import struct
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from PIL import Image

from bench_server import PASSWORD, Server


def wrk(port, path, connections, seconds, script=None, cookie=None, latency=False):
    # wrk refuses fewer connections than threads.
    args = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s"]
    if latency:
        args.append("--latency")
    if script:
        args += ["-s", script]
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    args.append(f"http://127.0.0.1:{port}{path}")
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def p99_ms(wrk_output):
    match = re.search(r"99%\s+([\d.]+)(us|ms|s)", wrk_output)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def requests_per_sec(wrk_output):
    match = re.search(r"Requests/sec:\s+([\d.]+)", wrk_output)
    return float(match.group(1)) if match else float("nan")


LUA_ME = 'wrk.method = "POST"\n'

LUA_ACCEPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "token=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" ..
  "&password=correct+horse+battery+staple"
"""

LUA_SIGNUP = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
counter = 0
request = function()
  counter = counter + 1
  local body = "name=Flood&password=correct+horse+battery+staple&email=flood" ..
    math.random(1, 1000000000) .. "-" .. counter .. "%40example.com"
  return wrk.format(nil, nil, nil, body)
end
"""


def write_lua(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def flood(binary, scripts, env_extra, label):
    server = Server(binary, env_extra)
    try:
        _, cookie = server.call(
            "auth/signup",
            {"name": "Bench Coach", "email": "bench@example.com", "password": PASSWORD},
        )
        idle = wrk(server.port, "/api/auth/me", 4, 5, scripts["me"], cookie, latency=True)
        idle_out = idle.communicate()[0]
        idle_rss = server.rss_kb()
        sampler = server.sample()
        floods = [
            wrk(server.port, "/api/invites/accept", 500, 8, scripts["accept"]),
            wrk(server.port, "/api/auth/signup", 500, 8, scripts["signup"]),
        ]
        time.sleep(1)
        busy = wrk(server.port, "/api/auth/me", 4, 5, scripts["me"], cookie, latency=True)
        busy_out = busy.communicate()[0]
        flood_out = [f.communicate()[0] for f in floods]
        peak = server.stop_sampling(sampler)
        after_rss = server.rss_kb()
        return {
            "label": label,
            "idle_p99": p99_ms(idle_out),
            "idle_rps": requests_per_sec(idle_out),
            "busy_p99": p99_ms(busy_out),
            "busy_rps": requests_per_sec(busy_out),
            "flood_rps": sum(requests_per_sec(o) for o in flood_out),
            "idle_rss_mb": idle_rss / 1024,
            "peak_rss_mb": peak / 1024,
            "after_rss_mb": after_rss / 1024,
        }
    finally:
        server.stop()


def photo_bytes(seed):
    random.seed(seed)
    image = Image.effect_noise((1600, 1200), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def multipart(fields, files):
    boundary = "----coachroombench%08x" % random.getrandbits(32)
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, data in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{name}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def uploads(binary, clients=50):
    server = Server(
        binary,
        {"COACHROOM_NEW_ACCOUNTS_MAX_PER_IP": "100000", "COACHROOM_ANONYMOUS_RATE_PER_IP": "100000"},
    )
    try:
        _, coach = server.call(
            "auth/signup",
            {"name": "Bench Coach", "email": "bench@example.com", "password": PASSWORD},
        )
        cookies = []
        for i in range(clients):
            fields = {
                "name": f"Client {i}",
                "email": f"client{i}@example.com",
                "phone": "", "date_of_birth": "", "age": "", "gender": "", "height": "",
                "weight": "", "goals": "", "medical_conditions": "",
                "dietary_restrictions": "", "injuries": "", "medications": "",
                "checkin_day": "",
            }
            client, _ = server.call("clients/create", fields, coach)
            link, _ = server.call("invites/send", {"client_id": client["id"]}, coach)
            token = link["url"].rsplit("/", 1)[1]
            _, cookie = server.call("invites/accept", {"token": token, "password": PASSWORD})
            cookies.append(cookie)
        photos = {f"photo_{slot}": photo_bytes(n) for n, slot in
                  enumerate(["front", "side", "back", "other"])}
        body, content_type = multipart({"weight": "80", "feedback": "bench"}, photos)
        statuses = []
        gate = threading.Barrier(clients)
        lock = threading.Lock()

        def send(cookie):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            gate.wait()
            try:
                conn.request(
                    "POST",
                    "/api/portal/checkins/submit",
                    body,
                    {"Content-Type": content_type, "Cookie": cookie},
                )
                status = conn.getresponse().status
            except OSError:
                # A refusal before the body was read closes the connection mid-send.
                status = "closed"
            with lock:
                statuses.append(status)
            conn.close()

        idle_rss = server.rss_kb()
        sampler = server.sample()
        threads = [threading.Thread(target=send, args=(c,)) for c in cookies]
        started = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - started
        peak = server.stop_sampling(sampler)
        return {
            "clients": clients,
            "body_mb": len(body) / 1024 / 1024,
            "ok": statuses.count(200),
            "refused": statuses.count(429) + statuses.count("closed"),
            "other": len([s for s in statuses if s not in (200, 429, "closed")]),
            "seconds": elapsed,
            "idle_rss_mb": idle_rss / 1024,
            "peak_rss_mb": peak / 1024,
        }
    finally:
        server.stop()


def bench_coach(server):
    """Signs up the benchmark's coach; returns their cookie."""
    _, coach = server.call(
        "auth/signup",
        {"name": "Bench Coach", "email": "bench@example.com", "password": PASSWORD},
    )
    return coach


def joined_client(server, coach, n=0):
    """A client of `coach` who has joined; returns (client id, the client's cookie)."""
    fields = {
        "name": f"Client {n}", "email": f"client{n}@example.com",
        "phone": "", "date_of_birth": "", "age": "", "gender": "", "height": "", "weight": "",
        "goals": "", "medical_conditions": "", "dietary_restrictions": "", "injuries": "",
        "medications": "", "checkin_day": "",
    }
    client, _ = server.call("clients/create", fields, coach)
    link, _ = server.call("invites/send", {"client_id": client["id"]}, coach)
    token = link["url"].rsplit("/", 1)[1]
    _, cookie = server.call("invites/accept", {"token": token, "password": PASSWORD})
    return client["id"], cookie


def export(binary, photos=500):
    """A client with `photos` photos (four a check-in) downloads their data."""
    server = Server(binary, {"COACHROOM_NEW_ACCOUNTS_MAX_PER_IP": "100000"})
    try:
        coach = bench_coach(server)
        _, cookie = joined_client(server, coach)
        images = {f"photo_{slot}": photo_bytes(n) for n, slot in
                  enumerate(["front", "side", "back", "other"])}
        body, content_type = multipart({"weight": "80", "feedback": "bench"}, images)
        for _ in range(photos // 4):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            conn.request("POST", "/api/portal/checkins/submit", body,
                         {"Content-Type": content_type, "Cookie": cookie})
            status = conn.getresponse().status
            conn.close()
            if status != 200:
                raise RuntimeError(f"check-in refused: {status}")
        idle_rss = server.rss_kb()
        sampler = server.sample()
        status, archive, seconds = server.get("/api/portal/export", cookie)
        peak = server.stop_sampling(sampler)
        if status != 200:
            raise RuntimeError(f"export: {status} {archive[:200]!r}")
        return {
            "photos": photos,
            "zip_mb": len(archive) / 1024 / 1024,
            "seconds": seconds,
            "idle_rss_mb": idle_rss / 1024,
            "peak_rss_mb": peak / 1024,
        }
    finally:
        server.stop()


def totp(secret_base32, at=None):
    key = base64.b32decode(secret_base32.upper() + "=" * (-len(secret_base32) % 8))
    counter = struct.pack(">Q", int((at or time.time()) // 30))
    mac = hmac.new(key, counter, hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def support_view(binary, loads=300):
    """The client page as the coach, and as an operator under the coach's grant."""
    server = Server(binary, {"COACHROOM_NEW_ACCOUNTS_MAX_PER_IP": "100000"})
    try:
        coach = bench_coach(server)
        client_id, _ = joined_client(server, coach)
        env = dict(os.environ, COACHROOM_DATA_DIR=server.data, RUST_LOG="error")
        said = subprocess.run([binary, "admin", "add", "ops@example.com"], env=env,
                              capture_output=True, text=True, check=True).stdout
        token = re.search(r"/operator/setup/([0-9a-f]+)", said).group(1)
        info, _ = server.call("operator/setup/info", {"token": token})
        _, operator = server.call("operator/setup/finish", {
            "token": token, "password": PASSWORD, "code": totp(info["totp_secret"]),
        })
        grant, _ = server.call("support/grant", {"hours": "1", "message": ""}, coach)
        server.call("operator/support/enter", {"grant_id": grant["id"]}, operator)
        path = f"/coach/clients/{client_id}"
        viewers = (("coach", coach), ("support", operator))
        for _, cookie in viewers:
            for _ in range(10):
                server.get(path, cookie)
        # Interleaved, so whatever else the machine does weighs on both alike.
        samples = {who: [] for who, _ in viewers}
        for _ in range(loads):
            for who, cookie in viewers:
                status, _, seconds = server.get(path, cookie)
                if status != 200:
                    raise RuntimeError(f"{who} page: {status}")
                samples[who].append(seconds * 1000)
        timings = {}
        for who, taken in samples.items():
            taken.sort()
            timings[who] = (statistics.median(taken), taken[int(len(taken) * 0.9)])
        return timings
    finally:
        server.stop()


def main():
    binary = sys.argv[1]
    scripts_dir = tempfile.mkdtemp(prefix="coachroom-bench-lua-")
    scripts = {
        "me": write_lua(scripts_dir, "me.lua", LUA_ME),
        "accept": write_lua(scripts_dir, "accept.lua", LUA_ACCEPT),
        "signup": write_lua(scripts_dir, "signup.lua", LUA_SIGNUP),
    }
    raised = {
        "COACHROOM_NEW_ACCOUNTS_MAX_PER_IP": "100000000",
        "COACHROOM_LOGIN_MAX_PER_IP": "100000000",
    }
    # As if the flood came from a thousand addresses: only the lane's overall caps apply.
    lane_open = {
        **raised,
        "COACHROOM_ANONYMOUS_RATE_PER_IP": "100000000",
        "COACHROOM_ANONYMOUS_MAX_PER_IP": "100000000",
    }
    only = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
    wanted = lambda part: not only or part in only  # noqa: E731
    print()
    print(f"Binary: {binary}; {os.cpu_count()} cores")
    if wanted("support"):
        t = support_view(binary)
        print()
        print("| Client page (300 loads each, interleaved) | median | p90 |")
        print("|---|---|---|")
        for who in ("coach", "support"):
            print(f"| {who} | {t[who][0]:.2f} ms | {t[who][1]:.2f} ms |")
        print(f"Support / coach, median: {t['support'][0] / t['coach'][0]:.2f}x")
    if wanted("export"):
        e = export(binary)
        print()
        print("| Data export | ZIP | time | RSS before | RSS peak |")
        print("|---|---|---|---|---|")
        print(f"| {e['photos']} photos | {e['zip_mb']:.0f} MB | {e['seconds']:.1f} s | "
              f"{e['idle_rss_mb']:.0f} MB | {e['peak_rss_mb']:.0f} MB |")
    if wanted("flood"):
        floods(binary, scripts, raised, lane_open)
    if wanted("uploads"):
        print_uploads(binary)
    shutil.rmtree(scripts_dir, ignore_errors=True)
    scale_parts = {"a", "bc", "d", "e"}
    if not only or "scale" in only or only & scale_parts:
        import bench_scale

        bench_scale.main(binary, only & scale_parts)


def floods(binary, scripts, raised, lane_open):
    results = [
        flood(binary, scripts, {}, "default limits"),
        flood(binary, scripts, raised, "throttles raised"),
        flood(binary, scripts, lane_open, "throttles and per-address lane limits raised"),
    ]
    print()
    print("| Flood: 500 + 500 connections, 8 s | auth/me p99 idle | auth/me p99 in flood | "
          "flood req/s | RSS idle | RSS peak | RSS after |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['label']} | {r['idle_p99']:.1f} ms | {r['busy_p99']:.1f} ms | "
            f"{r['flood_rps']:.0f} | {r['idle_rss_mb']:.0f} MB | {r['peak_rss_mb']:.0f} MB | "
            f"{r['after_rss_mb']:.0f} MB |"
        )


def print_uploads(binary):
    u = uploads(binary)
    print()
    print("| Uploads at once | body | taken | refused (429) | other | RSS idle | RSS peak | time |")
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {u['clients']} clients × 4 photos | {u['body_mb']:.1f} MB | {u['ok']} | "
        f"{u['refused']} | {u['other']} | {u['idle_rss_mb']:.0f} MB | "
        f"{u['peak_rss_mb']:.0f} MB | {u['seconds']:.1f} s |"
    )


if __name__ == "__main__":
    main()
