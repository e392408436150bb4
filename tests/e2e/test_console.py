#!/usr/bin/python3
"""The web console in a real browser: Debian's chromium, driven headless by playwright-core,
signs in to a real wharf at /console/ and works through the console's pages by clicks
(tests/e2e/console/*.mjs). Screenshots of every page are kept in the artifacts directory
(WHARF_ARTIFACTS, or test-artifacts/console beside the wharf binary).

Skipped (exit 77) only where chromium is not installed; scripts/install-deps.sh installs it."""
import os
import shutil
import subprocess
import sys
import time
import urllib.request

from wharf_harness import WHARF, Checks, WharfServer, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
WEB = os.path.join(HERE, "..", "..", "web")

if not os.path.exists(CHROMIUM):
    print(f"skipped: no chromium at {CHROMIUM} (scripts/install-deps.sh installs it)")
    sys.exit(77)

ARTIFACTS = os.environ.get("WHARF_ARTIFACTS") or os.path.join(
    os.path.dirname(os.path.abspath(WHARF)), "test-artifacts", "console")
shutil.rmtree(ARTIFACTS, ignore_errors=True)
os.makedirs(ARTIFACTS, exist_ok=True)

checks = Checks()


def run_browser(server, script, timeout=300, extra=None):
    """Runs one browser script; relays its "ok"/"FAIL" lines as checks of this test."""
    key, secret = server.credentials()
    env = dict(os.environ, WHARF_ENDPOINT=server.endpoint, WHARF_KEY=key, WHARF_SECRET=secret,
               ARTIFACTS=os.path.join(ARTIFACTS, os.path.splitext(script)[0]), CHROMIUM=CHROMIUM, **(extra or {}))
    p = subprocess.run(["node", os.path.join(HERE, "console", script)], env=env, capture_output=True,
                       text=True, timeout=timeout)
    lines = [line for line in p.stdout.splitlines() if line.startswith(("ok   ", "FAIL "))]
    for line in p.stdout.splitlines():
        if line.startswith(("ok   ", "FAIL ", "   | ")):
            print(line, flush=True)
    for line in lines:
        if line.startswith("ok   "):
            checks.passed += 1
        else:
            checks.failed += 1
    if p.returncode != 0 and not any(line.startswith("FAIL ") for line in lines):
        checks.failed += 1
        print(f"FAIL {script}: exit {p.returncode}: {p.stderr[-2000:]}", flush=True)


with WharfServer() as server:
    @checks.run
    def the_console_is_served_beside_the_api():
        with urllib.request.urlopen(server.endpoint + "/console/") as r:
            page = r.read().decode()
            assert r.headers["Content-Type"] == "text/html; charset=utf-8", r.headers
            assert "connect-src 'self'" in r.headers["Content-Security-Policy"], r.headers
        assert '<div id="root">' in page and "/console/assets/" in page, page
        asset = page.split('src="', 1)[1].split('"', 1)[0]
        req = urllib.request.Request(server.endpoint + asset, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req) as r:
            assert r.headers["Content-Encoding"] == "gzip" and "immutable" in r.headers["Cache-Control"], r.headers
        # /console is never taken for an API request, and nothing outside the build is served.
        for path in ("/console/../credentials", "/console/%2e%2e/credentials", "/console/.vite/manifest.json"):
            try:
                urllib.request.urlopen(server.endpoint + path)
                raise AssertionError(f"{path} was served")
            except urllib.error.HTTPError as e:
                assert e.code == 404, (path, e.code)

    started = time.time()
    run_browser(server, "basics.mjs")
    print(f"   | browser checks took {time.time() - started:.1f} s; screenshots in {ARTIFACTS}", flush=True)

# Seed 001 by clicks needs the node that runs the tasks, so root (CI is root).
if os.geteuid() != 0:
    print("   | not root: seed 001's click-through (it runs tasks) is left out")
else:
    with WharfServer(agent=True) as server:
        repo_root = os.path.join(HERE, "..", "..")
        image = subprocess.run([os.path.join(repo_root, "scripts", "demo-image.sh"), server.endpoint, "alba-digi",
                                "v1", "5050"], env=server.env(), capture_output=True, text=True, check=True,
                               timeout=120).stdout.strip()
        started = time.time()
        run_browser(server, "seed001.mjs", timeout=600, extra={"IMAGE": image, "LB_PORT": str(free_port())})
        print(f"   | seed 001 by clicks took {time.time() - started:.1f} s", flush=True)

checks.finish()
