#!/usr/bin/python3
"""The OCI registry under /v2/ with real clients: skopeo round trips, the docker flow users follow
(build, `aws ecr get-login-password | docker login`, tag, push, rmi, pull, run), Basic auth as ECR
does it, the ECR API's view of pushed images, lifecycle policies applied after a push, garbage
collection, and an upload cut by kill -9.

REGISTRY_TARGET=wharf (default) runs everything against `wharf server --dev`;
REGISTRY_TARGET=reference runs the flows that apply to any registry against the reference registry
(/usr/bin/docker-registry, no auth) and skips the checks that need wharf (ECR API, auth, GC);
REGISTRY_TARGET=reference-auth is the same with htpasswd Basic auth on the reference (user AWS,
a random password), which also runs the auth checks. That is how the checks were proven before
wharf's registry existed.

Images are built locally (umoci, busybox-static); docker runs as a private dockerd (see
registry_fixtures.Dockerd) with no network changes on the host.
"""
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

from wharf_harness import Checks
import registry_fixtures as rf

TARGET = os.environ.get("REGISTRY_TARGET", "wharf")
if TARGET not in ("wharf", "reference", "reference-auth"):
    sys.exit(f"REGISTRY_TARGET must be wharf, reference or reference-auth, not {TARGET!r}")
WHARF = TARGET == "wharf"
AUTH = TARGET in ("wharf", "reference-auth")

# The seed's lifecycle policy (aws_ecr_lifecycle_policy): keep the image tagged latest, and keep
# only the last 2 images.
LIFECYCLE_POLICY = {
    "rules": [
        {"rulePriority": 1, "description": "Keep the image tagged latest",
         "selection": {"tagStatus": "tagged", "tagPrefixList": ["latest"],
                       "countType": "imageCountMoreThan", "countNumber": 1},
         "action": {"type": "expire"}},
        {"rulePriority": 2, "description": "Keep only the last 2 images",
         "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2},
         "action": {"type": "expire"}},
    ]
}


class RegistryChecks(Checks):
    """Checks, plus checks that only apply to wharf: skipped (not failed) for the reference."""

    def __init__(self):
        super().__init__()
        self.skipped = 0

    def wharf_only(self, fn):
        return self.run(fn) if WHARF else self.skip(fn, "needs wharf")

    def with_auth(self, fn):
        return self.run(fn) if AUTH else self.skip(fn, "needs a registry with auth")

    def skip(self, fn, why):
        self.skipped += 1
        print(f"skip {fn.__name__}: {why} (REGISTRY_TARGET={TARGET})", flush=True)
        return fn

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped")
        sys.exit(1 if self.failed else 0)


rf.install_signal_cleanup()
checks = RegistryChecks()
t_start = time.monotonic()
work = tempfile.mkdtemp(prefix="wharf-regtest-")
registry = rf.WharfRegistry() if WHARF else rf.ReferenceRegistry(basic_user="AWS" if AUTH else None)
state = {}
_repos = set()
_dockerd = {}


def repo(name):
    """The repository `name`, created (once) through the ECR API on wharf."""
    if name not in _repos:
        registry.create_repository(name)
        _repos.add(name)
    return name


def dockerd():
    if "error" in _dockerd:
        raise RuntimeError(f"dockerd did not start earlier: {_dockerd['error']}")
    if "d" not in _dockerd:
        d = rf.Dockerd()
        try:
            d.start()
        except Exception as e:
            _dockerd["error"] = str(e)
            d.stop()
            raise
        _dockerd["d"] = d
    return _dockerd["d"]


def layout(name):
    return os.path.join(work, name)


MANIFEST_ACCEPT = {"Accept": ", ".join([rf.OCI_MANIFEST, rf.DOCKER_MANIFEST])}


def head(path, auth=True):
    """HEAD of a blob or manifest (accepting both manifest types, as clients do: without it a
    registry may answer 404 for a manifest that exists)."""
    return rf.http_request(registry.host, "HEAD", path, auth=registry.auth() if auth else None,
                           headers=MANIFEST_ACCEPT if "/manifests/" in path else None)


def prior(key):
    """What an earlier check left in `state`."""
    if key not in state:
        raise AssertionError(f"needs the {key!r} image of an earlier check, which failed")
    return state[key]


try:
    registry.start()

    @checks.wharf_only
    def create_repository_gives_the_registry_uri():
        r = registry.create_repository("e2e/busybox")
        _repos.add("e2e/busybox")
        assert r["repositoryUri"] == f"{registry.host}/e2e/busybox", r
        assert registry.password(), "empty password"

    @checks.run
    def skopeo_push_and_pull_keep_the_digests():
        src = layout("busybox")
        digest = rf.build_busybox_image(src, "v1", message="hello from skopeo", unique=uuid.uuid4().hex)
        name = repo("e2e/busybox")
        rf.push_oci(src, "v1", registry.host, name, "v1", creds=registry.creds())
        back = layout("busybox-back")
        rf.pull_oci(registry.host, name, "v1", back, "v1", creds=registry.creds())
        got_digest, got, _ = rf.oci_manifest(back, "v1")
        _, want, raw = rf.oci_manifest(src, "v1")
        assert got_digest == digest, (got_digest, digest)
        assert [l["digest"] for l in got["layers"]] == [l["digest"] for l in want["layers"]]
        assert got["config"]["digest"] == want["config"]["digest"]
        info = rf.skopeo_inspect(registry.host, name, "v1", creds=registry.creds())
        assert info["Digest"] == digest, info
        assert info["Layers"] == [l["digest"] for l in want["layers"]], info
        assert "v1" in info["RepoTags"], info
        cfg = rf.skopeo_inspect(registry.host, name, "v1", creds=registry.creds(), config=True)
        assert cfg["config"]["Entrypoint"] == ["/bin/sh", "-c"], cfg
        raw_back = rf.skopeo(*(["inspect", "--raw", "--tls-verify=false"]
                               + ([f"--creds={registry.creds()}"] if registry.creds() else ["--no-creds"])
                               + [rf.docker_ref(registry.host, name, "v1")])).stdout.encode()
        assert raw_back == raw, "the registry changed the manifest's bytes"
        state["skopeo"] = dict(repo=name, digest=digest, manifest=want, size=rf.image_size(src, "v1"))

    @checks.wharf_only
    def push_to_a_repository_not_created_is_refused():
        p = rf.push_oci(layout("busybox"), "v1", registry.host, "e2e/never-created", "v1",
                        creds=registry.creds(), check=False)
        assert p.returncode != 0, "pushed to a repository that was never created"
        assert "name unknown" in p.stderr.lower() or "not exist" in p.stderr.lower(), p.stderr

    @checks.with_auth
    def unauthenticated_requests_get_a_basic_challenge():
        r = rf.http_request(registry.host, "GET", "/v2/")
        assert r.status == 401, r
        challenge = r.header("www-authenticate", "")
        assert challenge.startswith("Basic "), r
        r = rf.http_request(registry.host, "GET", "/v2/", auth=rf.basic_auth("AWS", "not-the-password"))
        assert r.status == 401, r
        r = rf.http_request(registry.host, "GET", "/v2/", auth=registry.auth())
        assert r.status == 200, r
        layer = prior("skopeo")["manifest"]["layers"][0]["digest"]
        assert head(f"/v2/e2e/busybox/blobs/{layer}", auth=False).status == 401
        assert head(f"/v2/e2e/busybox/blobs/{layer}").status == 200
        p = rf.pull_oci(registry.host, "e2e/busybox", "v1", layout("anonymous-back"), "v1", check=False)
        assert p.returncode != 0, "an anonymous pull worked"

    @checks.run
    def docker_flow_as_in_the_seed():
        d = dockerd()
        ctx = layout("docker-context")
        os.makedirs(ctx)
        shutil.copy2(rf.BUSYBOX, os.path.join(ctx, "busybox"))
        greeting = f"hello from the seed flow {uuid.uuid4().hex[:8]}"
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write("FROM scratch\nCOPY busybox /bin/busybox\n"
                    f'CMD ["/bin/busybox", "echo", "{greeting}"]\n')
        # docker build -t <image_name> <dockerfile_path>
        d.docker("build", "-t", "seed-app", ctx)
        built_id = d.docker("image", "inspect", "--format", "{{.Id}}", "seed-app").stdout.strip()
        uri = f"{registry.host}/{repo('seed-app')}"
        # aws ecr get-login-password --region <region> | docker login --username AWS --password-stdin <ecr_url>
        docker_login = shlex.join(d.command() + ["login", "--username", "AWS", "--password-stdin", registry.host])
        if WHARF:
            get_password = shlex.join(registry.aws_command() + ["ecr", "get-login-password", "--region", "us-east-1"])
            env = registry.server.env()
        else:  # the reference's htpasswd password, or anything when it has no auth
            get_password = shlex.join(["echo", registry.password() or "no-auth-on-the-reference"])
            env = dict(os.environ)
        env.update({k: v for k, v in d.env().items() if k.startswith("DOCKER")})
        p = subprocess.run(["bash", "-c", f"set -o pipefail; {get_password} | {docker_login}"],
                           capture_output=True, text=True, env=env, timeout=120)
        assert p.returncode == 0 and "Login Succeeded" in p.stdout, (p.returncode, p.stdout, p.stderr)
        # docker tag <image_name> <ecr_repository>:<tag>; docker push <ecr_url>:<tag>
        d.docker("tag", "seed-app", f"{uri}:latest")
        out = d.docker("push", f"{uri}:latest").stdout
        pushed = [w for line in out.splitlines() if "digest:" in line for w in line.split() if w.startswith("sha256:")]
        assert pushed, out
        d.docker("rmi", f"{uri}:latest", "seed-app")
        assert d.docker("image", "inspect", f"{uri}:latest", check=False).returncode != 0, "rmi left the image"
        out = d.docker("pull", f"{uri}:latest").stdout
        assert f"Digest: {pushed[0]}" in out, out
        assert d.docker("image", "inspect", "--format", "{{.Id}}", f"{uri}:latest").stdout.strip() == built_id
        ran = d.docker("run", "--rm", "--network", "none", f"{uri}:latest").stdout.strip()
        assert ran == greeting, ran
        state["docker"] = dict(repo="seed-app", digest=pushed[0])

    @checks.run
    def docker_runs_the_oci_image_pushed_by_skopeo():
        d = dockerd()
        s = prior("skopeo")
        ref = f"{registry.host}/{s['repo']}:v1"
        out = d.docker("pull", ref).stdout
        assert f"Digest: {s['digest']}" in out, out
        ran = d.docker("run", "--rm", "--network", "none", ref).stdout.strip()
        assert ran == "hello from skopeo", ran
        ran = d.docker("run", "--rm", "--network", "none", ref, "cat /etc/wharf-image-id; sleep 0").stdout
        assert len(ran.strip()) == 32, ran

    @checks.with_auth
    def docker_login_with_a_bad_password_is_refused():
        d = dockerd()
        p = d.docker("login", "--username", "AWS", "--password-stdin", registry.host,
                     input="not-the-password\n", check=False)
        assert p.returncode != 0, p.stdout
        assert "unauthorized" in p.stderr.lower() or "401" in p.stderr, p.stderr
        p = d.docker("login", "--username", "someone", "--password-stdin", registry.host,
                     input=registry.password() + "\n", check=False)
        assert p.returncode != 0, "a user other than AWS was let in"

    @checks.wharf_only
    def ecr_describes_and_lists_pushed_images():
        ecr = registry.ecr()
        s = prior("skopeo")
        details = ecr.describe_images(repositoryName=s["repo"])["imageDetails"]
        mine = [x for x in details if x["imageDigest"] == s["digest"]]
        assert len(mine) == 1, details
        x = mine[0]
        assert x["imageTags"] == ["v1"], x
        layers = sum(l["size"] for l in s["manifest"]["layers"])
        assert layers <= x["imageSizeInBytes"] <= s["size"], (x["imageSizeInBytes"], layers, s["size"])
        assert x["imageManifestMediaType"] == rf.OCI_MANIFEST, x
        assert x["repositoryName"] == s["repo"] and "imagePushedAt" in x, x
        ids = ecr.list_images(repositoryName=s["repo"])["imageIds"]
        assert {"imageDigest": s["digest"], "imageTag": "v1"} in ids, ids
        by_tag = ecr.describe_images(repositoryName=s["repo"], imageIds=[{"imageTag": "v1"}])["imageDetails"]
        assert [y["imageDigest"] for y in by_tag] == [s["digest"]], by_tag
        if "docker" in state:  # pushed by docker: Docker's schema 2 manifest
            dk = state["docker"]
            details = ecr.describe_images(repositoryName=dk["repo"])["imageDetails"]
            assert [(y["imageDigest"], y["imageTags"]) for y in details] == [(dk["digest"], ["latest"])], details
            assert details[0]["imageManifestMediaType"] == rf.DOCKER_MANIFEST, details
            assert details[0]["imageSizeInBytes"] > 0, details

    @checks.wharf_only
    def batch_delete_image_then_pull_fails():
        ecr = registry.ecr()
        s = prior("skopeo")
        r = ecr.batch_delete_image(repositoryName=s["repo"], imageIds=[{"imageTag": "v1"}])
        assert r["failures"] == [], r
        assert [i["imageDigest"] for i in r["imageIds"]] == [s["digest"]], r
        p = rf.pull_oci(registry.host, s["repo"], "v1", layout("deleted-back"), "v1",
                        creds=registry.creds(), check=False)
        assert p.returncode != 0, "pulled a deleted image"
        assert "manifest unknown" in p.stderr.lower() or "not found" in p.stderr.lower(), p.stderr
        assert head(f"/v2/{s['repo']}/manifests/{s['digest']}").status == 404
        assert ecr.list_images(repositoryName=s["repo"])["imageIds"] == []

    @checks.run
    def four_distinct_images_pushed_in_turn():
        name = repo("e2e/lifecycle")
        if WHARF:
            registry.ecr().put_lifecycle_policy(repositoryName=name,
                                                lifecyclePolicyText=json.dumps(LIFECYCLE_POLICY))
        src = layout("four")
        digests = {}
        for i in range(1, 5):
            digests[f"v{i}"] = rf.build_busybox_image(src, f"v{i}", message=f"image {i}",
                                                      unique=f"{i} {uuid.uuid4().hex}")
        assert len(set(digests.values())) == 4, digests
        for i in range(1, 5):
            if i > 1:
                time.sleep(1.1)  # distinct push times, whatever their resolution
            rf.push_oci(src, f"v{i}", registry.host, name, f"v{i}", creds=registry.creds())
        rf.push_oci(src, "v4", registry.host, name, "latest", creds=registry.creds())
        state["four"] = dict(repo=name, digests=digests)
        if not WHARF:  # no lifecycle policy: all four are there
            r = rf.http_request(registry.host, "GET", f"/v2/{name}/tags/list", auth=registry.auth())
            assert sorted(json.loads(r.body)["tags"]) == ["latest", "v1", "v2", "v3", "v4"], r
            for tag, digest in list(digests.items()) + [("latest", digests["v4"])]:
                r = head(f"/v2/{name}/manifests/{tag}")
                assert r.status == 200 and r.header("docker-content-digest") == digest, (tag, r)

    @checks.wharf_only
    def lifecycle_policy_keeps_latest_and_the_last_two():
        f = prior("four")
        ecr = registry.ecr()
        got = policy = None
        deadline = time.time() + 10
        while time.time() < deadline:
            details = ecr.describe_images(repositoryName=f["repo"])["imageDetails"]
            got = {x["imageDigest"]: sorted(x.get("imageTags", [])) for x in details}
            if len(got) <= 2:
                break
            time.sleep(0.25)
        want = {f["digests"]["v4"]: ["latest", "v4"], f["digests"]["v3"]: ["v3"]}
        assert got == want, f"left {got}, want {want}"
        policy = ecr.get_lifecycle_policy(repositoryName=f["repo"])
        assert json.loads(policy["lifecyclePolicyText"]) == LIFECYCLE_POLICY, policy
        for tag in ("v1", "v2"):
            assert head(f"/v2/{f['repo']}/manifests/{tag}").status == 404, tag
        assert head(f"/v2/{f['repo']}/manifests/latest").status == 200, "latest is gone"

    @checks.wharf_only
    def gc_removes_the_blobs_of_a_deleted_image():
        name = repo("e2e/gc")
        src = layout("gc")
        doomed = rf.build_data_image(src, "doomed", total_bytes=2 << 20, layers=2)
        rf.build_busybox_image(src, "keeper", unique=uuid.uuid4().hex)
        rf.push_oci(src, "doomed", registry.host, name, "doomed", creds=registry.creds())
        rf.push_oci(src, "keeper", registry.host, name, "keeper", creds=registry.creds())
        doomed_blobs = rf.oci_layer_digests(src, "doomed")
        doomed_blobs.append(rf.oci_manifest(src, "doomed")[1]["config"]["digest"])
        kept_layers = rf.oci_layer_digests(src, "keeper")
        assert all(head(f"/v2/{name}/blobs/{l}").status == 200 for l in doomed_blobs + kept_layers)
        r = registry.ecr().batch_delete_image(repositoryName=name, imageIds=[{"imageDigest": doomed}])
        assert r["failures"] == [], r
        r = rf.http_request(registry.host, "POST", "/_wharf/registry/gc", body=b"")
        assert r.status == 200, r
        answer = json.loads(r.body)
        counts = {k: v for k, v in answer.items() if isinstance(v, int) and not isinstance(v, bool)}
        deleted = [v for k, v in counts.items() if "delet" in k.lower() or "remov" in k.lower()] or list(counts.values())
        assert deleted and deleted[0] >= len(doomed_blobs), answer
        for l in doomed_blobs:
            assert head(f"/v2/{name}/blobs/{l}").status == 404, f"{l} (layer or config) survived GC"
        for l in kept_layers:
            assert head(f"/v2/{name}/blobs/{l}").status == 200, f"GC deleted {l}, still in use"
        assert rf.skopeo_inspect(registry.host, name, "keeper", creds=registry.creds())["Layers"] == kept_layers

    @checks.run
    def kill_during_upload_leaves_no_blob():
        # Also run against the reference registry (killed and restarted the same way), which
        # proves the raw upload protocol used here.
        import http.client
        import urllib.parse
        name = repo("e2e/upload")
        blob = os.urandom(32 << 20)
        digest = rf.sha256_digest(blob)
        r = rf.http_request(registry.host, "POST", f"/v2/{name}/blobs/uploads/", body=b"", auth=registry.auth())
        assert r.status == 202, r
        loc = r.header("location")
        u = urllib.parse.urlsplit(loc)
        path = (u.path or loc) + ("?" + u.query if u.query else "")
        conn = http.client.HTTPConnection(registry.host, timeout=10)
        conn.putrequest("PATCH", path, skip_accept_encoding=True)
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Transfer-Encoding", "chunked")  # as docker push streams a layer
        if registry.auth():
            conn.putheader("Authorization", registry.auth())
        conn.endheaders()
        sent = 0
        piece = 256 << 10
        try:
            for _ in range(12):  # 3 MiB of 32, slowly
                conn.send(b"%x\r\n" % piece + blob[sent:sent + piece] + b"\r\n")
                sent += piece
                time.sleep(0.05)
            time.sleep(0.5)  # let the server write what it has
            registry.kill(signal.SIGKILL)
            for _ in range(8):
                conn.send(b"%x\r\n" % piece + blob[sent:sent + piece] + b"\r\n")
                sent += piece
        except OSError:
            pass
        finally:
            conn.close()
        assert (registry.server.proc if WHARF else registry.proc).poll() is not None, "still running"
        registry.restart()
        assert head(f"/v2/{name}/blobs/{digest}").status == 404, "a cut upload became a blob"
        hexpart = digest.split(":", 1)[1]
        named = [os.path.join(dp, n) for dp, dns, fns in os.walk(registry.data_dir) for n in dns + fns if hexpart in n]
        assert not named, named
        r, got = rf.upload_blob(registry.host, name, blob, auth=registry.auth())
        assert r.status == 201 and r.header("docker-content-digest") == digest, r
        r = head(f"/v2/{name}/blobs/{digest}")
        assert r.status == 200 and int(r.header("content-length")) == len(blob), r
        r = rf.http_request(registry.host, "GET", f"/v2/{name}/blobs/{digest}", auth=registry.auth(), timeout=60)
        assert r.status == 200 and r.body == blob, (r.status, len(r.body))

finally:
    if "d" in _dockerd:
        d = _dockerd["d"]
        d.stop()
        print(f"dockerd: ready in {d.start_seconds:.2f} s, storage driver {d.storage_driver}"
              f" (tried {d.tried}); left behind: {d.left_behind or 'nothing'}", flush=True)
    registry.close()
    shutil.rmtree(work, ignore_errors=True)
    print(f"registry target {TARGET}: {time.monotonic() - t_start:.1f} s", flush=True)

checks.finish()
