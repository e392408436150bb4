#!/usr/bin/python3
"""What `runc create` costs for the parts of a wharf task's config.json (see bench/README.md,
"runc create, part by part").

Runs one awsvpc task on a private wharf server to take its real config.json, then times bare
`runc create` (no conmon, no CNI: a namespace of its own made once) of that spec and of copies
with one part taken out (the seccomp profile, the cgroup resources, masked/read-only paths, the
bind mounts of /etc files, rlimits, Docker's capabilities), beside `runc spec`'s own spec with
and without the profile. Rounds are interleaved so that the machine's load falls on every
variant alike; each container is deleted before the next is made, untimed.

Everything it makes (the server, containers, the namespace, temp dirs) is removed when it
ends, also on an error or Ctrl-C. Not a test: exits non-zero only when a measurement failed.
"""
import argparse
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import BenchError, run_main  # noqa: E402

RUNC = "/usr/sbin/runc"
PID = os.getpid()


def wharf_spec(layout, tag):
    """The config.json wharf wrote for one awsvpc task of the bench image."""
    from task_bench import WharfBench
    wharf = WharfBench(None, layout)
    try:
        _, task = wharf.run("awsvpc")
        path = os.path.join(wharf.server.data_dir, "node", "tasks", task["taskArn"].rsplit("/", 1)[1],
                            "containers", "main", "config.json")
        with open(path) as f:
            spec = json.load(f)
        wharf.stop(task["taskArn"])
        return spec
    finally:
        wharf.close()


def variants(spec, plain):
    def without(f):
        s = copy.deepcopy(spec)
        f(s)
        return s
    with_profile = copy.deepcopy(plain)
    with_profile["linux"]["seccomp"] = spec["linux"]["seccomp"]
    return [
        ("wharf's spec", spec),
        ("  without seccomp", without(lambda s: s["linux"].pop("seccomp"))),
        ("  without resources", without(lambda s: s["linux"].pop("resources"))),
        ("  without masked/ro paths", without(lambda s: [s["linux"].pop(k) for k in ("maskedPaths", "readonlyPaths")])),
        ("  without /etc binds", without(lambda s: s.__setitem__("mounts", [m for m in s["mounts"] if m["type"] != "bind"]))),
        ("  without rlimits", without(lambda s: s["process"].pop("rlimits"))),
        ("  runc spec's capabilities", without(lambda s: s["process"].__setitem__("capabilities", plain["process"]["capabilities"]))),
        ("runc spec", plain),
        ("runc spec + wharf's seccomp", with_profile),
    ]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    args = p.parse_args()
    os.environ.setdefault("WHARF_BIN", os.path.join(args.build_dir, "wharf"))
    import registry_fixtures as rf
    from task_fixtures import build_app_image
    rf.install_signal_cleanup()
    load = os.getloadavg()
    work = tempfile.mkdtemp(prefix="wharf-runcbench-")
    root, ns = os.path.join(work, "runc"), f"wrcb-{PID}"
    live = []
    try:
        layout = os.path.join(work, "layout")
        build_app_image(layout, "v1")
        spec = wharf_spec(layout, "v1")
        unpacked = os.path.join(work, "image")
        subprocess.run(["umoci", "unpack", "--image", f"{layout}:v1", unpacked], check=True, capture_output=True)
        rootfs = os.path.join(unpacked, "rootfs")
        subprocess.run([RUNC, "spec", "--bundle", work], check=True)
        with open(os.path.join(work, "config.json")) as f:
            plain = json.load(f)
        subprocess.run(["ip", "netns", "add", ns], check=True)
        for s in (spec, plain):
            s["root"] = {"path": rootfs, "readonly": False}
            s["process"].update(args=spec["process"]["args"], terminal=False)
            s["linux"].pop("cgroupsPath", None)  # runc's default, /<id>, for both
            for n in s["linux"]["namespaces"]:
                if n["type"] == "network":
                    n["path"] = f"/run/netns/{ns}"
        spec["mounts"] = [m for m in spec["mounts"] if m["type"] != "bind" or os.path.exists(m["source"])]
        for m in spec["mounts"]:  # the task's /etc files went with its server: copies stand in
            if m["type"] == "bind":
                copy_of = os.path.join(work, "etc-" + os.path.basename(m["source"]))
                shutil.copy(m["source"], copy_of)
                m["source"] = copy_of
        todo = variants(spec, plain)
        times = {name: [] for name, _ in todo}
        bundle = os.path.join(work, "bundle")
        for r in range(args.rounds + 1):  # round 0 warms the page cache, untimed
            for name, s in todo:
                shutil.rmtree(bundle, ignore_errors=True)
                os.makedirs(bundle)
                with open(os.path.join(bundle, "config.json"), "w") as f:
                    json.dump(s, f)
                cid = f"wrcb-{PID}-{r}"
                live.append(cid)
                with open(os.path.join(work, "runc.err"), "w+b") as err:  # not a pipe: init keeps it
                    t0 = time.perf_counter()
                    p = subprocess.run([RUNC, "--root", root, "create", "--bundle", bundle, cid],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, timeout=60)
                    elapsed = time.perf_counter() - t0
                    if p.returncode != 0:
                        err.seek(0)
                        raise BenchError(f"runc create ({name.strip()}): {err.read().decode()[-500:]}")
                subprocess.run([RUNC, "--root", root, "delete", "--force", cid], capture_output=True)
                live.remove(cid)
                if r:
                    times[name].append(elapsed * 1000)
    finally:
        for cid in live:
            subprocess.run([RUNC, "--root", root, "delete", "--force", cid], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nrunc create, {args.rounds} rounds, 1-minute load average {load[0]:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after\n")
    print(f"{'':<32}{'p50 ms':>9}{'min ms':>9}")
    for name, xs in times.items():
        print(f"{name:<32}{statistics.median(xs):>9.1f}{min(xs):>9.1f}")


if __name__ == "__main__":
    run_main(main)
