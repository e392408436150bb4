#!/usr/bin/python3
"""The VPC resolver (src/dns) beside Debian's dnsmasq serving the same records.

A Cloud Map private DNS namespace `local` in the default VPC with a service `api` (A,
MULTIVALUE) of 3 healthy instances, served by wharf's resolver on 127.0.0.1 (--dns-listen:
the same code path a task's query takes, minus the bridge); dnsmasq (no upstream, no hosts
file but one naming api.local three times) on another loopback port. bench/dns_load keeps 32
queries in flight over UDP for api.local A against each for a few seconds, the two taking
turns three times; the best run of each is printed side by side (answers/s, latency p50 and
p99) with the ratios.

  cmake --build build --target wharf dns_load
  WHARF_BIN=$PWD/build/wharf WHARF_TESTS=$PWD/tests bench/dns_bench.py [SECONDS]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ.get("WHARF_TESTS", os.path.join(os.path.dirname(__file__), "../tests")), "e2e"))
sys.path.insert(0, os.path.dirname(__file__))
from benchlib import Processes, free_port  # noqa: E402
from wharf_harness import WharfServer  # noqa: E402

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 5
WINDOW = 32
ADDRESSES = ["10.0.1.5", "10.0.1.6", "10.0.1.7"]
LOAD = os.path.join(os.path.dirname(os.environ.get("WHARF_BIN", "build/wharf")), "bench", "dns_load")
DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"


def load_once(port):
    out = subprocess.run([LOAD, "127.0.0.1", str(port), "api.local", "1", str(SECONDS), str(WINDOW)],
                         capture_output=True, text=True, check=True).stdout
    r = json.loads(out)
    if r["records"] != len(ADDRESSES):
        raise SystemExit(f"port {port} answered {r['records']} records, not {len(ADDRESSES)}: {r}")
    return r


def load(ports, rounds=3):
    """The best of `rounds` runs per server, the servers taking turns (the machine is shared:
    the best run is the least disturbed, and turns spread a disturbance over both)."""
    best = {}
    for _ in range(rounds):
        for port in ports:
            r = load_once(port)
            if port not in best or r["per_second"] > best[port]["per_second"]:
                best[port] = r
    return [best[p] for p in ports]


def wait_operation(sd, op_id):
    for _ in range(100):
        if sd.get_operation(OperationId=op_id)["Operation"]["Status"] == "SUCCESS":
            return sd.get_operation(OperationId=op_id)["Operation"]
        time.sleep(0.1)
    raise SystemExit(f"operation {op_id} did not finish")


def main():
    procs = Processes()
    data_dir = tempfile.mkdtemp(prefix="wharf-dns-bench-")
    try:
        # First start: the default VPC's id (made at start), the namespace and its records.
        with WharfServer(data_dir=data_dir) as server:
            ec2 = server.boto3("ec2")
            vpc_id = [v for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]][0]["VpcId"]
            sd = server.boto3("servicediscovery")
            ns = wait_operation(sd, sd.create_private_dns_namespace(Name="local", Vpc=vpc_id)["OperationId"])
            api = sd.create_service(Name="api", NamespaceId=ns["Targets"]["NAMESPACE"], DnsConfig={
                "RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]})["Service"]
            for n, ip in enumerate(ADDRESSES):
                wait_operation(sd, sd.register_instance(ServiceId=api["Id"], InstanceId=f"i-{n}",
                                                        Attributes={"AWS_INSTANCE_IPV4": ip})["OperationId"])
        # Again, with the resolver answering for that VPC on loopback.
        wharf_port = free_port()
        with WharfServer("--dns-listen", f"{vpc_id}=127.0.0.1:{wharf_port}", data_dir=data_dir):
            hosts = os.path.join(procs.temp_dir("dnsmasq-"), "hosts")
            with open(hosts, "w") as f:
                f.writelines(f"{ip} api.local\n" for ip in ADDRESSES)
            dnsmasq_port = free_port()
            log = os.path.join(os.path.dirname(hosts), "dnsmasq.log")
            procs.spawn([DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", f"--port={dnsmasq_port}",
                         "--listen-address=127.0.0.1", "--bind-interfaces", "--no-hosts", "--no-resolv",
                         f"--addn-hosts={hosts}", "--local-ttl=10", "--user=root", "--pid-file="], log)
            time.sleep(0.5)
            wharf, dnsmasq = load([wharf_port, dnsmasq_port])
    finally:
        procs.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)

    print(f"api.local A (3 records), UDP, {WINDOW} in flight, best of 3 x {SECONDS:g} s")
    print(f"{'server':<22}{'answers/s':>12}{'p50 us':>9}{'p99 us':>9}{'lost':>6}")
    for name, r in (("wharf VPC resolver", wharf), ("dnsmasq 2.90", dnsmasq)):
        print(f"{name:<22}{r['per_second']:>12,.0f}{r['p50_us']:>9}{r['p99_us']:>9}{r['lost']:>6}")
    print(f"ratio wharf/dnsmasq: answers/s {wharf['per_second'] / dnsmasq['per_second']:.2f}x, "
          f"p99 {wharf['p99_us'] / max(dnsmasq['p99_us'], 1):.2f}x")


if __name__ == "__main__":
    main()
