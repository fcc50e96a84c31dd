"""Drives scripts/lighthouse: starts the release server on a free port with a fresh SQLite data
directory and a seeded demo workspace, then runs Lighthouse 12 (its default mobile profile) in
Debian's Chromium against each page, signed in where the page needs it, and prints one table.
Exits 1 when any page misses a budget:

- performance >= 95; accessibility, best practices and SEO = 100;
- cumulative layout shift <= 0.05; time to interactive <= 3.5 s;
- JS + WASM transferred before interaction: <= 250 KB on the landing, login and invitation
  pages, <= 350 KB on the portal.

Usage: lighthouse.py BINARY SITE_ROOT LIGHTHOUSE_BIN
"""

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

import bench_server
from bench_server import PASSWORD

CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --no-first-run "
                "--disable-background-networking --disable-component-update --disable-sync")
KB = 1000


class Server(bench_server.Server):
    def __init__(self, binary, site_root):
        super().__init__(binary, {"COACHROOM_ANONYMOUS_RATE_PER_IP": "100000",
                                  "COACHROOM_NEW_ACCOUNTS_MAX_PER_IP": "100000"},
                         site_root=site_root, prefix="coachroom-lighthouse-")


def client_fields(name, email):
    return {"name": name, "email": email, "phone": "", "date_of_birth": "", "age": "",
            "gender": "", "height": "", "weight": "", "goals": "", "medical_conditions": "",
            "dietary_restrictions": "", "injuries": "", "medications": "", "checkin_day": ""}


def check_in(server, cookie):
    """A check-in with numbers and a note (multipart, as the form sends it)."""
    boundary = "----coachroomlighthouse"
    fields = {"weight": "82.4", "sleep": "7", "energy": "7", "feedback": "A good week."}
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
                   f"{v}\r\n" for k, v in fields.items()) + f"--{boundary}--\r\n"
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.request("POST", "/api/portal/checkins/submit", body.encode(),
                 {"Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": cookie})
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"check-in: {response.status} {response.read()[:200]!r}")


def pages(server):
    """(name, path, cookie, JS+WASM budget in KB or None) for every page measured."""
    said = subprocess.run([server.binary, "seed", "--clients", "12", "--checkins-per-client",
                           "8", "--photos", "--email", "coach@example.com"], env=server.env,
                          capture_output=True, text=True, check=True).stdout
    password = said.rsplit("with the password ", 1)[1].strip()
    _, coach = server.call("auth/login", {"email": "coach@example.com", "password": password})
    roster, _ = server.call("clients/list", {"query": "", "archived": "false", "page": "1"},
                            coach)
    client_id = roster["clients"][0]["id"]
    inbox, _ = server.call("checkins/inbox", {"page": "1"}, coach)
    review_id = inbox["items"][0]["checkin_id"]
    # A client who has joined and checked in, and an invitation nobody has opened yet.
    joined, _ = server.call("clients/create", client_fields("Robin Park", "robin@example.com"),
                            coach)
    link, _ = server.call("invites/send", {"client_id": joined["id"]}, coach)
    _, client = server.call("invites/accept", {"token": link["url"].rsplit("/", 1)[1],
                                               "password": PASSWORD})
    check_in(server, client)
    invited, _ = server.call("clients/create", client_fields("Kai Moreno", "kai@example.com"),
                             coach)
    invite, _ = server.call("invites/send", {"client_id": invited["id"]}, coach)
    invite_path = urllib.parse.urlparse(invite["url"]).path
    return [
        ("landing", "/", None, 250),
        ("login", "/login", None, 250),
        ("invitation", invite_path, None, 250),
        ("coach dashboard", "/coach", coach, None),
        ("client page", f"/coach/clients/{client_id}", coach, None),
        ("review page", f"/coach/checkins/{review_id}", coach, None),
        ("check-in form", "/portal/checkin", client, None),
        ("portal", "/portal", client, 350),
    ]


def audit(lighthouse_bin, url, cookie, out_dir):
    out = os.path.join(out_dir, "report.json")
    args = [lighthouse_bin, url, "--output=json", f"--output-path={out}", "--quiet",
            f"--chrome-flags={CHROME_FLAGS}"]
    if cookie:
        headers = os.path.join(out_dir, "headers.json")
        with open(headers, "w") as f:
            json.dump({"Cookie": cookie}, f)
        args.append(f"--extra-headers={headers}")
    env = dict(os.environ, CHROME_PATH=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    # Lighthouse now and then fails to record the trace (NO_NAVSTART): that page is run again.
    for attempt in range(3):
        if subprocess.run(args, env=env, stdout=subprocess.DEVNULL).returncode == 0:
            break
        if attempt == 2:
            raise RuntimeError(f"lighthouse failed three times on {url}")
    with open(out) as f:
        report = json.load(f)
    scores = {k: round((v["score"] or 0) * 100) for k, v in report["categories"].items()}
    audits = report["audits"]
    code = sum(item.get("transferSize", 0)
               for item in audits["network-requests"]["details"]["items"]
               if urllib.parse.urlparse(item["url"]).path.endswith((".js", ".wasm")))
    return {
        "performance": scores["performance"],
        "accessibility": scores["accessibility"],
        "best-practices": scores["best-practices"],
        "seo": scores["seo"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "tti_ms": audits["interactive"]["numericValue"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "code_kb": code / KB,
    }


def misses(result, budget_kb):
    found = []
    if result["performance"] < 95:
        found.append("performance")
    for category in ("accessibility", "best-practices", "seo"):
        if result[category] < 100:
            found.append(category)
    if result["cls"] > 0.05:
        found.append("CLS")
    if result["tti_ms"] > 3500:
        found.append("TTI")
    if budget_kb is not None and result["code_kb"] > budget_kb:
        found.append(f"JS+WASM over {budget_kb} KB")
    return found


def wait_for_precompressed(site_root, seconds=300):
    """Waits until the server has written the brotli copy of every script, WASM file and style
    sheet (it makes them in the background at startup). Until then it compresses on the fly at a
    lower quality, and the first page measured would count 20% more bytes than any visitor
    after it gets."""
    pkg = os.path.join(site_root, "pkg")
    deadline = time.monotonic() + seconds
    while True:
        pending = [name for name in os.listdir(pkg)
                   if name.endswith((".wasm", ".js", ".css"))
                   and not (os.path.exists(os.path.join(pkg, name + ".br"))
                            and os.path.getmtime(os.path.join(pkg, name + ".br"))
                            >= os.path.getmtime(os.path.join(pkg, name)))]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"no brotli copies after {seconds} s: {pending[:3]}")
        time.sleep(0.5)


def main():
    binary, site_root, lighthouse_bin = sys.argv[1:4]
    only = set(filter(None, os.environ.get("LIGHTHOUSE_ONLY", "").split(",")))
    keep = os.environ.get("LIGHTHOUSE_REPORTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
    server = Server(binary, site_root)
    failed = False
    rows = []
    try:
        wait_for_precompressed(site_root)
        for name, path, cookie, budget in pages(server):
            if only and name not in only:
                continue
            out_dir = tempfile.mkdtemp(prefix="coachroom-lh-")
            result = audit(lighthouse_bin, f"http://127.0.0.1:{server.port}{path}", cookie,
                           out_dir)
            if keep:
                # The whole report, to see which audit failed.
                shutil.copy(os.path.join(out_dir, "report.json"),
                            os.path.join(keep, name.replace(" ", "-") + ".json"))
            shutil.rmtree(out_dir, ignore_errors=True)
            missed = misses(result, budget)
            failed = failed or bool(missed)
            rows.append((name, result, budget, missed))
            print(f"  {name}: {result['performance']} performance"
                  f"{'; missed ' + ', '.join(missed) if missed else ''}", flush=True)
    finally:
        server.stop()
    print()
    print("| Page | Performance | Accessibility | Best practices | SEO | CLS | TTI | LCP | "
          "JS+WASM (transferred) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r, budget, missed in rows:
        mark = " ✗" if missed else ""
        code = f"{r['code_kb']:.0f} KB" + (f" (≤ {budget})" if budget else "")
        print(f"| {name}{mark} | {r['performance']} | {r['accessibility']} | "
              f"{r['best-practices']} | {r['seo']} | {r['cls']:.3f} | "
              f"{r['tti_ms'] / 1000:.1f} s | {r['lcp_ms'] / 1000:.1f} s | {code} |")
    if failed:
        print("\nBudgets missed (✗): performance ≥ 95, the other categories 100, CLS ≤ 0.05, "
              "TTI ≤ 3.5 s, JS+WASM ≤ 250 KB (landing, login, invitation) and ≤ 350 KB (portal).")
        sys.exit(1)


if __name__ == "__main__":
    main()
