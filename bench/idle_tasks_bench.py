#!/usr/bin/python3
"""What idle tasks cost the node: CPU per idle task, wharf beside Docker (bench/README.md).

  wharf   a server with its local node; --tasks busybox `sleep` tasks (network mode none,
          8 MiB, as bench/console_tti.py runs them), ten per RunTask, waited for RUNNING
  docker  Debian's dockerd started privately (registry_fixtures.Dockerd: own data/exec root and
          socket, no iptables); as many `docker run -d --network none` of the same image

Once every task runs and --settle seconds have passed, CPU time (utime+stime from /proc) is
summed over --seconds for: the wharf server (its local node's agent threads are in it), the
wharf-monitor monitors (conmon before), and every other process on the machine (runc, health checks, ... and the
other sessions on a shared machine: the machine's total is printed with its idle baseline,
measured the same way before any task started), and each group's context switches per second
(its threads' wake-ups). Also forks per second (/proc/stat
`processes`) and context switches. Prints CPU % of one core per peer and per idle task.

--awslogs gives wharf's tasks the awslogs driver (the agent follows each container's log).

Every task and container is stopped and removed when it ends, also on an error or Ctrl-C. Run
as root, alone (no other wharf node), under the e2e lock:
  flock /tmp/wharf-e2e.lock env WHARF_BIN=$PWD/build/wharf bench/idle_tasks_bench.py --tasks 200
Not a test: exits non-zero only when a measurement failed.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, HERE)

TICK = os.sysconf("SC_CLK_TCK")
SLEEP = ["sleep", "86400"]


def cpu_ticks(pid):
    """utime + stime of a live process (all its threads), or 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def wakeups(pid):
    """Context switches of all a process's threads so far (each is mostly one wake-up when idle)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
    except OSError:
        pass
    return total


def pids_named(comm):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/comm") as f:
                if f.read().strip() == comm:
                    out.append(int(d))
        except OSError:
            pass
    return out


def machine():
    """(busy ticks of all cores, forks, context switches) since boot."""
    with open("/proc/stat") as f:
        lines = f.read().splitlines()
    cpu = [int(x) for x in lines[0].split()[1:]]
    busy = sum(cpu) - cpu[3] - cpu[4]  # less idle and iowait
    forks = next(int(l.split()[1]) for l in lines if l.startswith("processes "))
    ctxt = next(int(l.split()[1]) for l in lines if l.startswith("ctxt "))
    return busy, forks, ctxt


def sample(groups, seconds):
    """CPU % of one core per group ({name: callable -> pids}) and of the machine over `seconds`."""
    pids = {name: find() for name, find in groups.items()}
    before = {name: {p: cpu_ticks(p) for p in ps} for name, ps in pids.items()}
    woken = {name: {p: wakeups(p) for p in ps} for name, ps in pids.items()}
    m0, t0 = machine(), time.monotonic()
    time.sleep(seconds)
    m1, wall = machine(), time.monotonic() - t0
    out = {}
    for name, ps in pids.items():
        # A pid gone during the window counts for nothing (its last ticks are lost): idle peers have none.
        ticks = sum(max(0, cpu_ticks(p) - before[name][p]) for p in ps)
        out[name] = ticks / TICK / wall * 100
        out[name + " wake-ups/s"] = sum(max(0, wakeups(p) - woken[name][p]) for p in ps) / wall
    out["machine"] = (m1[0] - m0[0]) / TICK / wall * 100
    out["forks/s"] = (m1[1] - m0[1]) / wall
    out["ctxsw/s"] = (m1[2] - m0[2]) / wall
    return out


def show(title, idle, busy, n, keys):
    print(f"{title} ({n} idle tasks, CPU % of one core over the window; machine baseline "
          f"{idle['machine']:.1f} %, {idle['forks/s']:.0f} forks/s)", flush=True)
    for k in keys:
        extra = busy[k] - idle.get(k, 0.0)
        print(f"  {k:<22} {busy[k]:7.1f} %   per task {extra / n * 1000:7.2f} m%   "
              f"wake-ups/s {busy[k + ' wake-ups/s']:8.0f}", flush=True)
    print(f"  {'machine (all)':<22} {busy['machine']:7.1f} %   per task "
          f"{(busy['machine'] - idle['machine']) / n * 1000:7.2f} m%   (other sessions included)", flush=True)
    print(f"  {'forks/s':<22} {busy['forks/s']:7.1f}     ctx switches/s {busy['ctxsw/s']:.0f}   "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)


# --- wharf ------------------------------------------------------------------------------------

def wharf(args, layout):
    import task_fixtures
    from wharf_harness import WharfServer
    with WharfServer(agent=True) as server:
        ecs = server.boto3("ecs")
        server_pid = server.proc.pid
        groups = {"wharf server+agent": lambda: [server_pid], "monitors": lambda: pids_named("wharf-monitor") + pids_named("conmon"),
                  "runc": lambda: pids_named("runc")}
        try:
            image = task_fixtures.push_to_wharf(server, layout, "v1", "idle")
            container = {"name": "sleep", "image": image, "memory": 8, "command": SLEEP, "essential": True}
            if args.awslogs:
                server.boto3("logs").create_log_group(logGroupName="/idle")
                container["logConfiguration"] = {"logDriver": "awslogs", "options": {
                    "awslogs-group": "/idle", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "idle"}}
            ecs.register_task_definition(family="idle-sleep", networkMode="none", requiresCompatibilities=["EC2"],
                                         containerDefinitions=[container])
            idle = sample(groups, args.seconds)
            started = time.time()
            for left in range(args.tasks, 0, -10):
                r = ecs.run_task(cluster="default", taskDefinition="idle-sleep", count=min(10, left), launchType="EC2")
                if r["failures"]:
                    raise SystemExit(f"RunTask failed: {r['failures']}")
            while True:
                if ecs.describe_clusters(clusters=["default"])["clusters"][0]["runningTasksCount"] >= args.tasks:
                    break
                if time.time() - started > 900:
                    raise SystemExit("tasks not RUNNING after 900 s")
                time.sleep(2)
            print(f"wharf: {args.tasks} tasks RUNNING {time.time() - started:.0f} s after the first RunTask", flush=True)
            time.sleep(args.settle)
            busy = sample(groups, args.seconds)
            show("wharf" + (" (awslogs)" if args.awslogs else ""), idle, busy, args.tasks, list(groups))
        finally:
            stop_every_task(ecs)
        server.stop()  # an idle node takes its bridges and rules down


def stop_every_task(ecs):
    arns = [a for p in ecs.get_paginator("list_tasks").paginate(cluster="default") for a in p["taskArns"]]
    for arn in arns:
        ecs.stop_task(cluster="default", task=arn)
    deadline = time.time() + 600
    while time.time() < deadline:
        if ecs.describe_clusters(clusters=["default"])["clusters"][0]["runningTasksCount"] == 0 and not any(
                t["lastStatus"] != "STOPPED" for i in range(0, len(arns), 100)
                for t in ecs.describe_tasks(cluster="default", tasks=arns[i:i + 100])["tasks"]):
            return
        time.sleep(2)
    print("WARNING: tasks still not stopped", flush=True)


# --- docker -----------------------------------------------------------------------------------

def docker(args, layout):
    import subprocess
    import registry_fixtures as rf
    d = rf.Dockerd().start()
    try:
        archive = os.path.join(os.path.dirname(layout), "image.tar")
        subprocess.run(["skopeo", "copy", "-q", f"oci:{layout}:v1", f"docker-archive:{archive}:idle/app:v1"],
                       check=True, capture_output=True)
        d.docker("load", "-i", archive)
        os.remove(archive)
        dockerd = d.proc.pid
        groups = {"dockerd": lambda: [dockerd], "containerd": lambda: pids_named("containerd"),
                  "containerd-shim": lambda: [p for p in pids_named("containerd-shim") + pids_named("containerd-shim-runc-v2")]}
        idle = sample(groups, args.seconds)
        started = time.time()
        for i in range(args.tasks):
            d.docker("run", "-d", "--network", "none", "--memory", "8m", "--name", f"idle-{i}", "idle/app:v1", *SLEEP)
        print(f"docker: {args.tasks} containers running {time.time() - started:.0f} s after the first run", flush=True)
        time.sleep(args.settle)
        busy = sample(groups, args.seconds)
        show("docker", idle, busy, args.tasks, list(groups))
    finally:
        d.docker("rm", "-f", *[f"idle-{i}" for i in range(args.tasks)], check=False, timeout=600)
        d.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=20, help="the measuring window")
    ap.add_argument("--settle", type=float, default=10, help="wait after the last task runs")
    ap.add_argument("--peers", default="wharf,docker")
    ap.add_argument("--awslogs", action="store_true", help="wharf's tasks log with awslogs (to a group /idle)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root (it runs containers)")
    import task_fixtures
    _, layout = task_fixtures.prepare()
    for peer in args.peers.split(","):
        {"wharf": wharf, "docker": docker}[peer](args, layout)


if __name__ == "__main__":
    main()
