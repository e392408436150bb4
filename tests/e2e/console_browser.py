"""What the console's browser tests share: Debian's chromium driven headless by playwright-core
(tests/e2e/console/*.mjs), each script's "ok"/"FAIL" lines counted as checks of the test that
ran it, and screenshots kept in the artifacts directory (WHARF_ARTIFACTS, or
test-artifacts/<test> beside the wharf binary)."""
import os
import shutil
import subprocess
import sys

from wharf_harness import WHARF

HERE = os.path.dirname(os.path.abspath(__file__))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def skip_without_chromium():
    """Exit 77 (skipped) only where chromium is not installed; scripts/install-deps.sh installs it."""
    if not os.path.exists(CHROMIUM):
        print(f"skipped: no chromium at {CHROMIUM} (scripts/install-deps.sh installs it)")
        sys.exit(77)


def artifacts_dir(name):
    root = os.environ.get("WHARF_ARTIFACTS") or os.path.join(os.path.dirname(os.path.abspath(WHARF)), "test-artifacts")
    return os.path.join(root, name)


def run_browser(checks, server, script, artifacts, timeout=300, extra=None):
    """Runs one browser script; relays its "ok"/"FAIL" lines as checks of this test."""
    key, secret = server.credentials()
    shots = os.path.join(artifacts, os.path.splitext(script)[0])
    shutil.rmtree(shots, ignore_errors=True)
    os.makedirs(shots)
    env = dict(os.environ, WHARF_ENDPOINT=server.endpoint, WHARF_KEY=key, WHARF_SECRET=secret,
               ARTIFACTS=shots, CHROMIUM=CHROMIUM, **(extra or {}))
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
