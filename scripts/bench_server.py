"""The release server as the measuring scripts start it (scripts/bench.py and the parts that
import it, scripts/lighthouse.py): on a free port, with a fresh data directory, ready once
/readyz says so. Standard library only, so scripts that make no photos need no Pillow."""

import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

# The password of every account the measuring scripts make.
PASSWORD = "correct horse battery staple"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, env_extra, site_root=None, prefix="coachroom-bench-"):
        """`site_root`: the built site to serve; by default an empty one (the API only)."""
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix=prefix)
        if site_root is None:
            site_root = os.path.join(self.data, "site")
            os.makedirs(os.path.join(site_root, "pkg"))
        env = dict(os.environ)
        env.update(
            {
                "COACHROOM_BIND": f"127.0.0.1:{self.port}",
                "COACHROOM_DATA_DIR": self.data,
                "LEPTOS_SITE_ROOT": site_root,
                "RUST_LOG": "error",
            }
        )
        env.update(env_extra)
        # Kept for commands run against the same data directory (`coachroom seed`).
        self.binary, self.env = binary, env
        self.proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL)
        self.peak_kb = 0
        self._sampling = False
        # Ready once /readyz says so: the port opens before migrations and the master key.
        for _ in range(600):
            if self.proc.poll() is not None:
                shutil.rmtree(self.data, ignore_errors=True)
                raise RuntimeError(f"the server exited at startup ({self.proc.returncode})")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/readyz")
                ready = conn.getresponse().status == 200
                conn.close()
                if ready:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not become ready")

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def sample(self):
        """Samples RSS every 20 ms until stop_sampling; returns the thread."""
        self.peak_kb = self.rss_kb()
        self._sampling = True

        def run():
            while self._sampling:
                self.peak_kb = max(self.peak_kb, self.rss_kb())
                time.sleep(0.02)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def stop_sampling(self, thread):
        self._sampling = False
        thread.join()
        return self.peak_kb

    def call(self, endpoint, fields, cookie=None):
        """POSTs a server fn's form fields; returns (JSON answer, the session cookie)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if cookie:
            headers["Cookie"] = cookie
        conn.request("POST", f"/api/{endpoint}", urllib.parse.urlencode(fields), headers)
        response = conn.getresponse()
        body = response.read()
        set_cookie = response.getheader("Set-Cookie") or ""
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"{endpoint}: {response.status} {body[:200]!r}")
        new_cookie = set_cookie.split(";")[0] if set_cookie else cookie
        return json.loads(body), new_cookie

    def get(self, path, cookie=None):
        """GETs `path`; returns (status, body bytes, seconds taken)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        started = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        conn.close()
        return response.status, body, elapsed

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # A browser's idle keep-alive connection can hold a graceful shutdown open.
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.data, ignore_errors=True)
