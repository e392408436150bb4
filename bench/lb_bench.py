#!/usr/bin/python3
"""Measures wharf's Application Load Balancer data plane beside HAProxy and nginx (see bench/README.md).

One backend (nginx answering `return 200` with a small fixed body, on its own port) sits on
loopback; three proxies forward to it, each with N worker threads:

  wharf    `wharf server --lb-threads N`: an ALB (ELBv2 API), an HTTP listener forwarding to an
           ip target group whose one target is the backend, once that target is healthy
  haproxy  HAProxy 2.6, http mode, roundrobin backend with that one server, keep-alive to
           the server, nbthread N
  nginx    nginx 1.22, proxy_pass to an upstream with a keepalive pool, worker_processes N

and wrk (-t1, --latency) loads each of them, and the backend directly (the ceiling), at each
--connections count. wharf is restarted for each N. Rows are interleaved (direct, haproxy,
nginx, wharf at one count, then the next) so drift in the machine touches every proxy alike.

HAProxy and nginx are installed from Debian (haproxy, nginx-light) if missing; any service
their packages start is stopped again. Neither reads anything under /etc: each runs in the
foreground with a configuration generated in a temporary directory, with its pid, logs and
temp paths there too.

Not a test: CI does not run it. Exits non-zero only when the measurement itself failed (a
proxy did not start or did not answer 200, the target never became healthy, wrk saw a
non-2xx answer or a socket error), never because an aim was missed.
"""
import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from benchlib import (WRK, BenchError, medians, run_main, Processes, cpu_seconds, free_port, machine_cpu_seconds, read_credentials,
                      run_wrk, wait_until)


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = "us-east-1"
BACKEND_BODY = "hello from the wharf lb bench backend\n"  # 38 bytes, fixed

DIRECT, HAPROXY, NGINX, WHARF = "direct", "haproxy", "nginx", "wharf"
ORDER = [DIRECT, HAPROXY, NGINX, WHARF]






# --- packages --------------------------------------------------------------------------


def pids_of(name):
    p = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True)
    return {int(x) for x in p.stdout.split()}


def ensure_packages():
    """apt-get installs haproxy and nginx-light if either binary is missing, then stops
    whatever service the packages' scripts started (and kills any pid left over). Processes
    that were running before the install are left alone."""
    if shutil.which("haproxy") and shutil.which("nginx"):
        return
    before = {name: pids_of(name) for name in ("haproxy", "nginx")}
    print("installing haproxy and nginx-light from Debian ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", NEEDRESTART_MODE="l")
    p = subprocess.run(["apt-get", "install", "-y", "haproxy", "nginx-light"],
                       capture_output=True, text=True, env=env)
    if p.returncode != 0 or not (shutil.which("haproxy") and shutil.which("nginx")):
        raise BenchError(f"apt-get install haproxy nginx-light failed:\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    for name in ("haproxy", "nginx"):
        started = pids_of(name) - before[name]
        if not started:
            continue
        subprocess.run(["service", name, "stop"], capture_output=True)
        time.sleep(0.5)
        for pid in pids_of(name) & started:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


# --- processes -------------------------------------------------------------------------






def http_get(port, path="/", timeout=1.0):
    """(status, body) of one GET on a fresh connection, or (0, b'') if nothing answered."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return 0, b""




def answers_backend_body(port):
    status, body = http_get(port)
    return status == 200 and body == BACKEND_BODY.encode()




def children(pid):
    """Direct children of `pid` (nginx's workers)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            out.append(int(entry))
    return out




# --- the servers -----------------------------------------------------------------------


class Server:
    """One process tree under load: its name, the port wrk loads, and the pids whose CPU
    time counts as its own."""

    def __init__(self, name, proc, port):
        self.name, self.proc, self.port = name, proc, port

    def pids(self):
        return [self.proc.pid] + children(self.proc.pid)

    def cpu(self):
        return sum(cpu_seconds(pid) for pid in self.pids())


NGINX_COMMON = """\
error_log {d}/error.log warn;
pid {d}/nginx.pid;
worker_rlimit_nofile 16384;
events {{ worker_connections 4096; multi_accept on; }}
"""

NGINX_HTTP_COMMON = """\
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
"""


def start_backend(procs, workers):
    """nginx answering every request with BACKEND_BODY, on its own port."""
    d = procs.temp_dir("wharf-lb-bench-backend-")
    port = free_port()
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"worker_processes {workers};\n" + NGINX_COMMON.format(d=d) + "http {\n"
                + NGINX_HTTP_COMMON.format(d=d)
                + f"    server {{\n        listen 127.0.0.1:{port} reuseport backlog=4096;\n"
                + "        default_type text/plain;\n"
                + f"        location / {{ return 200 \"{BACKEND_BODY.rstrip()}\\n\"; }}\n"
                + "    }\n}\n")
    log = os.path.join(d, "stderr.log")
    proc = procs.spawn(["nginx", "-p", d + "/", "-e", f"{d}/error.log", "-c", conf, "-g", "daemon off;"], log)
    wait_until(proc, lambda: answers_backend_body(port), log, "backend nginx")
    return Server(DIRECT, proc, port)


def start_nginx_proxy(procs, threads, backend_port):
    d = procs.temp_dir("wharf-lb-bench-nginx-")
    port = free_port()
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"worker_processes {threads};\n" + NGINX_COMMON.format(d=d) + "http {\n"
                + NGINX_HTTP_COMMON.format(d=d)
                + "    upstream backend {\n"
                + f"        server 127.0.0.1:{backend_port};\n"
                + "        keepalive 256;\n"
                + "        keepalive_requests 100000000;\n"
                + "        keepalive_timeout 75s;\n"
                + "    }\n"
                + f"    server {{\n        listen 127.0.0.1:{port} reuseport backlog=4096;\n"
                + "        location / {\n"
                + "            proxy_pass http://backend;\n"
                + "            proxy_http_version 1.1;\n"
                + "            proxy_set_header Connection \"\";\n"
                + "            proxy_set_header Host $host;\n"
                + "            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
                + "            proxy_buffering on;\n"
                + "        }\n    }\n}\n")
    log = os.path.join(d, "stderr.log")
    proc = procs.spawn(["nginx", "-p", d + "/", "-e", f"{d}/error.log", "-c", conf, "-g", "daemon off;"], log)
    wait_until(proc, lambda: answers_backend_body(port), log, "nginx proxy")
    return Server(NGINX, proc, port)


def start_haproxy(procs, threads, backend_port):
    d = procs.temp_dir("wharf-lb-bench-haproxy-")
    port = free_port()
    conf = os.path.join(d, "haproxy.cfg")
    with open(conf, "w") as f:
        f.write(f"""global
    nbthread {threads}
    maxconn 4096
    pidfile {d}/haproxy.pid

defaults
    mode http
    option http-keep-alive
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 75s
    http-reuse safe

frontend bench
    bind 127.0.0.1:{port}
    default_backend target

backend target
    balance roundrobin
    server backend 127.0.0.1:{backend_port}
""")
    log = os.path.join(d, "stderr.log")
    # -db: foreground, no daemon; -Ws would add a master process, which is not wanted here.
    proc = procs.spawn(["haproxy", "-f", conf, "-db"], log)
    wait_until(proc, lambda: answers_backend_body(port), log, "haproxy")
    return Server(HAPROXY, proc, port)




def start_wharf(procs, wharf_bin, threads, backend_port, health_timeout):
    """wharf with --lb-threads `threads`; an ALB whose HTTP listener forwards to an ip target
    group with the backend as its one target; returns once the target is healthy and one
    request through the listener answered the backend's body."""
    import boto3
    d = procs.temp_dir("wharf-lb-bench-wharf-")
    api_port, lb_port = free_port(), free_port()
    log = os.path.join(d, "server.log")
    proc = procs.spawn([wharf_bin, "server", "--data-dir", d, "--listen", f"127.0.0.1:{api_port}",
                        "--threads", "1", "--lb-threads", str(threads), "--lb-bind", "127.0.0.1", "--no-local-agent"], log)
    wait_until(proc, lambda: http_get(api_port, "/_wharf/health")[0] == 200, log, "wharf")
    key, secret = read_credentials(d)
    elb = boto3.session.Session().client("elbv2", region_name=REGION,
                                         endpoint_url=f"http://127.0.0.1:{api_port}",
                                         aws_access_key_id=key, aws_secret_access_key=secret)
    # The default VPC's subnets and default group (a load balancer's must exist).
    lb = elb.create_load_balancer(Name="lb-bench", Scheme="internet-facing")["LoadBalancers"][0]
    tg = elb.create_target_group(Name="lb-bench-tg", Protocol="HTTP", Port=80, VpcId="vpc-1",
                                 TargetType="ip", HealthCheckPath="/", HealthCheckIntervalSeconds=5,
                                 HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2,
                                 UnhealthyThresholdCount=2)["TargetGroups"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=lb_port,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"],
                         Targets=[{"Id": "127.0.0.1", "Port": backend_port}])

    state = {"health": None}

    def healthy():
        descs = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
        state["health"] = descs
        return len(descs) == 1 and descs[0]["TargetHealth"]["State"] == "healthy"

    try:
        wait_until(proc, healthy, log, "wharf's target", timeout=health_timeout, poll_interval=0.25)
    except BenchError as e:
        raise BenchError(f"{e}\nlast describe_target_health: {state['health']}")
    wait_until(proc, lambda: answers_backend_body(lb_port), log, "wharf's listener")
    return Server(WHARF, proc, lb_port)


# --- wrk -------------------------------------------------------------------------------






def own_cpu_seconds():
    """This script's CPU time plus that of its reaped children (wrk: measure() reaps nothing
    else while it runs)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


class ForeignLoad:
    """About how much of the machine processes other than ours used during the wrk runs (to
    a few per cent: all of it is tick-sampled). The benchmark cannot stop a compiler next
    door, but it can say that one was there."""

    def __init__(self):
        self.foreign = 0.0
        self.total = 0.0

    def add(self, machine_before, machine_after, ours):
        self.foreign += max(0.0, (machine_after[0] - machine_before[0]) - ours)
        self.total += machine_after[1] - machine_before[1]

    def share(self):
        return self.foreign / max(self.total, 1e-9)


def measure(server, live, connections, duration, foreign):
    """(requests/s, p50 ms, p99 ms, the server's CPU us per request). `live`: every server of
    ours running now (the backend works for every proxy row too)."""
    if server.proc.poll() is not None:
        raise BenchError(f"{server.name} exited with {server.proc.returncode} before its run")
    machine_before, own_before = machine_cpu_seconds(), own_cpu_seconds()
    live_before = {s.name: s.cpu() for s in live}
    rps, p50, p99, requests = run_wrk(server.port, connections, duration)
    live_after = {s.name: s.cpu() for s in live}
    foreign.add(machine_before, machine_cpu_seconds(),
                own_cpu_seconds() - own_before + sum(live_after[n] - live_before[n] for n in live_after))
    cpu_us = (live_after[server.name] - live_before[server.name]) / max(requests, 1) * 1e6
    return rps, p50, p99, cpu_us


# --- report ----------------------------------------------------------------------------


def aim_met(row, haproxy_row):
    return row[0] >= haproxy_row[0] and row[2] <= haproxy_row[2]


def print_report(args, results, foreign_share):
    print()
    print(f"backend: nginx `return 200` ({len(BACKEND_BODY)} B body, worker_processes "
          f"{args.backend_workers}); wrk -t1 -d{args.duration}s --latency; {os.cpu_count()} cores, "
          "nothing pinned" + (f"; median of {args.rounds} rounds" if args.rounds > 1 else ""))
    print("cpu us/req: the proxy's own CPU time (all threads/workers) per request; for 'direct', "
          "the backend's")
    print()
    header = (f"{'proxy':<9}{'threads':>8}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'cpu us/req':>12}{'vs haproxy':>12}  aim: >= haproxy req/s, p99 <= haproxy's")
    print(header)
    print("-" * len(header))
    for threads in args.thread_counts:
        for conns in args.connection_counts:
            hap = results.get((HAPROXY, threads, conns))
            for name in ORDER:
                row = results.get((name, threads, conns))
                if row is None:
                    continue
                rps, p50, p99, cpu_us = row
                ratio = f"{rps / hap[0]:.2f}" if hap else "-"
                if name == WHARF and hap:
                    aim = "met" if aim_met(row, hap) else "NOT MET"
                    why = []
                    if rps < hap[0]:
                        why.append(f"req/s x{rps / hap[0]:.2f}")
                    if p99 > hap[2]:
                        why.append(f"p99 x{p99 / hap[2]:.2f}")
                    aim += f" ({', '.join(why)})" if why else ""
                elif name == NGINX and hap:
                    aim = "(met)" if aim_met(row, hap) else "(not met)"
                else:
                    aim = ""
                threads_col = "-" if name == DIRECT else str(threads)
                print(f"{name:<9}{threads_col:>8}{conns:>6}{rps:>9.0f}{p50:>9.3f}{p99:>9.3f}"
                      f"{cpu_us:>12.1f}{ratio:>12}  {aim}")
        print()
    print(f"other load: {foreign_share * 100:.1f} % of the machine used by other processes during "
          "the load" + ("  <- numbers disturbed" if foreign_share > 0.1 else ""))
    wharf_rows = [(t, c) for (n, t, c) in results if n == WHARF and (HAPROXY, t, c) in results]
    met = [k for k in wharf_rows if aim_met(results[(WHARF, *k)], results[(HAPROXY, *k)])]
    print(f"aim (wharf >= haproxy req/s and p99 <= haproxy's): met in {len(met)} of {len(wharf_rows)} "
          "rows" + ("" if len(met) == len(wharf_rows) else "  NOT MET"))
    print("(nginx's verdict in parentheses is for reference only; the aim is wharf's)")


# --- main ------------------------------------------------------------------------------


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    p.add_argument("--threads", default="1,2", help="comma-separated worker thread counts N")
    p.add_argument("--connections", default="16,64", help="comma-separated wrk -c values")
    p.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    p.add_argument("--rounds", type=int, default=1, help="repeat the runs; report the median")
    p.add_argument("--backend-workers", type=int, default=2, help="worker_processes of the backend")
    p.add_argument("--proxies", default="haproxy,nginx,wharf", help="which proxies to load")
    p.add_argument("--health-timeout", type=float, default=60.0,
                   help="seconds to wait for wharf's target to be healthy")
    args = p.parse_args()
    args.thread_counts = [int(x) for x in args.threads.split(",")]
    args.connection_counts = [int(x) for x in args.connections.split(",")]
    args.proxy_names = [x.strip() for x in args.proxies.split(",") if x.strip()]
    unknown = set(args.proxy_names) - {HAPROXY, NGINX, WHARF}
    if unknown:
        p.error(f"unknown proxies: {', '.join(sorted(unknown))}")
    return args


def main():
    args = parse_args()
    wharf_bin = os.path.join(args.build_dir, "wharf")
    if WHARF in args.proxy_names and not os.access(wharf_bin, os.X_OK):
        raise BenchError(f"{wharf_bin} missing: ninja -C {args.build_dir} wharf")
    if not os.access(WRK, os.X_OK):
        raise BenchError("wrk missing: apt-get install wrk")
    ensure_packages()

    procs = Processes()
    # SIGTERM (e.g. from `timeout` or `kill`) unwinds through `finally` as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        backend = start_backend(procs, args.backend_workers)
        samples = {}
        foreign = ForeignLoad()
        for threads in args.thread_counts:
            print(f"N={threads}: starting the proxies ...", flush=True)
            servers = [backend]
            starters = {HAPROXY: lambda: start_haproxy(procs, threads, backend.port),
                        NGINX: lambda: start_nginx_proxy(procs, threads, backend.port),
                        WHARF: lambda: start_wharf(procs, wharf_bin, threads, backend.port,
                                                   args.health_timeout)}
            for name in ORDER[1:]:
                if name in args.proxy_names:
                    servers.append(starters[name]())
            # Warm every path (connection pools, allocator arenas) before anything counts.
            for server in servers:
                run_wrk(server.port, max(args.connection_counts), 1)
            for round_ in range(args.rounds):
                for conns in args.connection_counts:  # interleaved: drift touches every proxy alike
                    print(f"N={threads} round {round_ + 1}/{args.rounds}: wrk -c{conns} ...", flush=True)
                    for server in servers:
                        samples.setdefault((server.name, threads, conns), []).append(
                            measure(server, servers, conns, args.duration, foreign))
            for server in servers[1:]:
                procs.stop(server.proc)
        foreign_share = foreign.share()
        results = medians(samples)
        print_report(args, results, foreign_share)
    finally:
        procs.cleanup()


if __name__ == "__main__":
    run_main(main)
