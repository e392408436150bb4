#!/usr/bin/python3
"""Measures wharf's registry (/v2/) beside the reference registry and prints the ratios
(see bench/README.md).

  image         built once with umoci: --layers layers of random (incompressible) data,
                --size-mb in all, gzip-compressed by umoci (so each layer stays its size)
  push          skopeo copy oci:<layout> -> docker://<registry>/<fresh repo>, median of --reps
  pull          skopeo copy docker://<registry>/<repo> -> oci:<fresh dir>, median of --reps
  concurrent    --concurrency skopeo pulls at once into fresh dirs: wall time, errors

Targets: wharf (repositories encrypted AES256, the default: blobs are plain files sent with
sendfile), wharf-kms (the same server, repositories created with encryptionType KMS: blobs sealed
in 64 KiB AES-256-GCM chunks and decrypted as they are sent), reference. The aim for wharf-kms is
a pull within 1.3x of wharf's AES256 one.

wharf runs as `wharf server --dev` (repositories created with the ECR API, skopeo logs in as AWS
with the password of `aws ecr get-login-password`); the reference is /usr/bin/docker-registry
(docker distribution 2.8, filesystem storage, no auth unless --reference-auth). Both listen on
loopback and get the same requests, interleaved (wharf, reference, wharf, ...), so drift in the
machine touches both alike. skopeo's blob-info cache is private to the run, so no push is turned
into a cross-repository mount by what an earlier one saw.

Not a test: CI does not run it. Exits non-zero only when a measurement failed (a registry did
not start, a copy failed, a pulled image differed); aims missed are reported, not fatal.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from benchlib import BenchError, run_main  # noqa: E402


def cpu_seconds(pid):
    """User + system CPU time of a process (all threads), from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def server_pid(reg):
    return reg.server.proc.pid if reg.name.startswith("wharf") else reg.proc.pid


class KmsRepositories:
    """wharf's registry again (the same server), its repositories created with encryptionType KMS
    under the AWS managed key aws/ecr."""

    name = "wharf-kms"

    def __init__(self, wharf):
        self.wharf = wharf

    def __getattr__(self, attr):  # host, creds, server ... are the wharf registry's
        return getattr(self.wharf, attr)

    def start(self):
        return self

    def close(self):
        pass

    def create_repository(self, name):
        return self.wharf.ecr().create_repository(
            repositoryName=name, encryptionConfiguration={"encryptionType": "KMS"})["repository"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    p.add_argument("--size-mb", type=int, default=100, help="total size of the image's layers")
    p.add_argument("--layers", type=int, default=5)
    p.add_argument("--reps", type=int, default=3, help="pushes and pulls per registry (median)")
    p.add_argument("--concurrency", type=int, default=16, help="simultaneous pulls (0: skip)")
    p.add_argument("--targets", default="wharf,wharf-kms,reference",
                   help="comma-separated: wharf, wharf-kms (needs wharf), reference (one alone measures it "
                        "without ratios)")
    p.add_argument("--reference-auth", action="store_true",
                   help="htpasswd Basic auth on the reference too (bcrypt cost 4), as wharf checks "
                        "Basic credentials on every request")
    return p.parse_args()


def main():
    args = parse_args()
    os.environ.setdefault("WHARF_BIN", os.path.join(args.build_dir, "wharf"))
    import registry_fixtures as rf  # after WHARF_BIN: wharf_harness reads it at import

    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    for t in targets:
        if t not in ("wharf", "wharf-kms", "reference"):
            raise BenchError(f"unknown target {t!r}")
    if "wharf-kms" in targets and "wharf" not in targets:
        raise BenchError("wharf-kms needs the wharf target (it is the same server)")
    if "wharf" in targets and not os.access(os.environ["WHARF_BIN"], os.X_OK):
        raise BenchError(f"{os.environ['WHARF_BIN']} missing: ninja -C {args.build_dir} wharf")
    for tool in (rf.UMOCI, rf.SKOPEO, rf.REGISTRY):
        if not os.access(tool, os.X_OK):
            raise BenchError(f"{tool} missing: scripts/install-deps.sh")

    load_before = os.getloadavg()[0]
    rf.install_signal_cleanup()  # SIGTERM unwinds through `finally` as Ctrl-C does
    work = tempfile.mkdtemp(prefix="wharf-regbench-")
    rf.on_exit(lambda: shutil.rmtree(work, ignore_errors=True))
    registries = {}
    failures = []
    try:
        src = os.path.join(work, "image")
        print(f"building a {args.size_mb} MB image of {args.layers} layers of random data ...", flush=True)
        t0 = time.monotonic()
        digest = rf.build_data_image(src, "bench", total_bytes=args.size_mb << 20, layers=args.layers)
        size = rf.image_size(src, "bench")
        mb = size / 1e6
        print(f"  {mb:.1f} MB to send ({len(rf.oci_layer_digests(src, 'bench'))} layers) "
              f"in {time.monotonic() - t0:.1f} s", flush=True)

        for t in targets:
            if t == "wharf-kms":
                if "wharf" in registries:
                    registries[t] = KmsRepositories(registries["wharf"])
                continue
            reg = rf.WharfRegistry() if t == "wharf" else rf.ReferenceRegistry(
                basic_user="AWS" if args.reference_auth else None)
            try:
                reg.start()
                registries[t] = reg
            except Exception as e:
                failures.append(f"{t}: did not start: {e}")
                reg.close()

        def fresh_dir():
            """A fresh skopeo blob-info cache: nothing an earlier copy saw turns an upload into a
            cross-repository mount, and concurrent copies do not share (and lock) one cache."""
            return tempfile.mkdtemp(prefix="cache-", dir=work)

        def repo_of(reg, name):
            reg.create_repository(name)
            return name

        push = {t: [] for t in registries}
        pull = {t: [] for t in registries}
        push_cpu = {t: [] for t in registries}
        pull_cpu = {t: [] for t in registries}
        broken = {}  # target -> first error; a broken target is not measured further
        pulled_from = {}
        for rep in range(args.reps):
            for t, reg in registries.items():
                if t in broken:
                    continue
                print(f"rep {rep + 1}/{args.reps}: {t} push, pull ...", flush=True)
                try:
                    name = repo_of(reg, f"bench/{t}-push-{rep}")
                    c0 = cpu_seconds(server_pid(reg))
                    t0 = time.monotonic()
                    rf.push_oci(src, "bench", reg.host, name, "bench", creds=reg.creds(),
                                cache_dir=fresh_dir())
                    push[t].append(time.monotonic() - t0)
                    push_cpu[t].append(cpu_seconds(server_pid(reg)) - c0)
                    dest = os.path.join(work, f"pull-{t}-{rep}")
                    c0 = cpu_seconds(server_pid(reg))
                    t0 = time.monotonic()
                    rf.pull_oci(reg.host, name, "bench", dest, "bench", creds=reg.creds(),
                                cache_dir=fresh_dir())
                    pull[t].append(time.monotonic() - t0)
                    pull_cpu[t].append(cpu_seconds(server_pid(reg)) - c0)
                    got = rf.oci_manifest(dest, "bench")[0]
                    shutil.rmtree(dest, ignore_errors=True)
                    if got != digest:
                        raise BenchError(f"pulled manifest {got}, pushed {digest}")
                    pulled_from[t] = name
                except Exception as e:
                    broken[t] = f"{type(e).__name__}: {e}"
                    failures.append(f"{t}: {broken[t]}")

        concurrent = {}
        if args.concurrency:
            for t, reg in registries.items():
                if t in broken or t not in pulled_from:
                    continue
                print(f"{args.concurrency} concurrent pulls from {t} ...", flush=True)
                dests = [os.path.join(work, f"conc-{t}-{i}") for i in range(args.concurrency)]
                c0 = cpu_seconds(server_pid(reg))
                t0 = time.monotonic()
                procs = [subprocess.Popen(
                    rf.skopeo_popen_args(*rf.skopeo_copy_args(
                        rf.docker_ref(reg.host, pulled_from[t], "bench"), f"oci:{d}:bench",
                        src_creds=reg.creds())),
                    env=rf.skopeo_env(fresh_dir()), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for d in dests]
                errors = []
                for p in procs:
                    try:
                        _, err = p.communicate(timeout=900)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        _, err = p.communicate()
                        err = "timed out: " + err
                    if p.returncode != 0:
                        errors.append(err.strip()[-300:])
                wall = time.monotonic() - t0
                cpu = cpu_seconds(server_pid(reg)) - c0
                for d in dests:
                    if os.path.exists(d):
                        try:
                            if rf.oci_manifest(d, "bench")[0] != digest:
                                errors.append(f"{d}: wrong manifest")
                        except (OSError, KeyError, ValueError) as e:
                            if not any(d in x for x in errors):
                                errors.append(f"{d}: {e}")
                    shutil.rmtree(d, ignore_errors=True)
                concurrent[t] = (wall, len(errors), cpu, errors[:3])
                if len(errors) == args.concurrency:
                    failures.append(f"{t}: every concurrent pull failed: {errors[0]}")

        report(args, mb, registries, push, pull, push_cpu, pull_cpu, concurrent, broken, load_before)
    finally:
        for reg in registries.values():
            reg.close()
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print()
        for f in failures:
            print(f"measurement failed: {f}", file=sys.stderr)
        sys.exit(1)


def med(xs):
    return statistics.median(xs) if xs else None


def report(args, mb, registries, push, pull, push_cpu, pull_cpu, concurrent, broken, load_before):
    def cell(v, fmt="{:.2f}"):
        return fmt.format(v) if v is not None else "-"

    names = list(registries)
    both = "wharf" in names and "reference" in names
    print()
    print(f"{mb:.0f} MB image, {args.layers} layers, skopeo copy over loopback, {os.cpu_count()} cores, "
          f"median of {args.reps}; 1-minute load average before the run: {load_before:.2f}")
    print()
    head = f"{'':<24}" + "".join(f"{n:>13}" for n in names) + (f"{'wharf/ref':>12}" if both else "")
    print(head)

    def row(label, values, fmt="{:.2f}", ratio=True):
        line = f"{label:<24}" + "".join(f"{cell(values.get(n), fmt):>13}" for n in names)
        if both:
            w, r = values.get("wharf"), values.get("reference")
            text = f"{w / r:.2f}" if ratio and w is not None and r else "-"
            line += f"{text:>12}"
        print(line)

    push_s = {n: med(push[n]) for n in names}
    pull_s = {n: med(pull[n]) for n in names}
    row("push s", push_s)
    row("push MB/s", {n: mb / v for n, v in push_s.items() if v}, "{:.0f}", ratio=False)
    row("push server cpu s", {n: med(push_cpu[n]) for n in names})
    row("pull s", pull_s)
    row("pull MB/s", {n: mb / v for n, v in pull_s.items() if v}, "{:.0f}", ratio=False)
    row("pull server cpu s", {n: med(pull_cpu[n]) for n in names})
    if args.concurrency:
        row(f"{args.concurrency} pulls, wall s", {n: c[0] for n, c in concurrent.items()})
        row(f"{args.concurrency} pulls, MB/s", {n: args.concurrency * mb / c[0] for n, c in concurrent.items()},
            "{:.0f}", ratio=False)
        row(f"{args.concurrency} pulls, server cpu s", {n: c[2] for n, c in concurrent.items()})
        row(f"{args.concurrency} pulls, errors", {n: c[1] for n, c in concurrent.items()}, "{:d}", ratio=False)
        for n, c in concurrent.items():
            for e in c[3]:
                print(f"  {n} error: {e}")
    for n, e in broken.items():
        print(f"  {n} failed: {e}")
    print()
    print("aims")
    speed = "no slower than the reference in either direction"
    clean = f"{args.concurrency} concurrent pulls without errors"
    if both:
        w_push, r_push, w_pull, r_pull = push_s["wharf"], push_s["reference"], pull_s["wharf"], pull_s["reference"]
        if None in (w_push, r_push, w_pull, r_pull):
            print(f"  {speed:<52}not measured")
        else:
            ok = w_push <= r_push and w_pull <= r_pull
            print(f"  {speed:<52}push {w_push / r_push:.2f}, pull {w_pull / r_pull:.2f} x the reference's time"
                  f"   {'met' if ok else 'NOT MET'}")
    else:
        print(f"  {speed:<52}needs both targets")
    kms_aim = "KMS pull within 1.3x of an AES256 one"
    if "wharf" in names and "wharf-kms" in names and pull_s.get("wharf") and pull_s.get("wharf-kms"):
        r = pull_s["wharf-kms"] / pull_s["wharf"]
        print(f"  {kms_aim:<52}{r:.2f} x   {'met' if r <= 1.3 else 'NOT MET'}")
        print(f"  {'':<52}pull server cpu {med(pull_cpu['wharf-kms']):.2f} s (KMS) vs {med(pull_cpu['wharf']):.2f} s")
    if args.concurrency and "wharf" in names:
        c = concurrent.get("wharf")
        if c is None:
            print(f"  {clean:<52}not measured")
        else:
            print(f"  {clean:<52}{c[1]} errors   {'met' if c[1] == 0 else 'NOT MET'}")
    elif args.concurrency:
        c = concurrent.get("reference")
        print(f"  {clean:<52}wharf not measured (reference: {c[1] if c else '-'} errors)")


if __name__ == "__main__":
    run_main(main)
