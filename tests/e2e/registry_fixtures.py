"""Fixtures for the registry test (tests/e2e/test_registry.py) and benchmark (bench/registry_bench.py).

- OCI image layouts built with umoci from busybox-static, no Docker Hub needed: a small busybox
  image, and a multi-layer image of incompressible data of a given size (for the benchmark).
- skopeo copy between an OCI layout and a registry (plain HTTP, optional Basic credentials).
- A raw HTTP helper for the distribution API (HEAD of blobs, uploads, GET /v2/).
- The registries: wharf (`WharfRegistry`, ECR semantics: create the repository first, log in as
  `AWS` with the password of `aws ecr get-login-password`) and the reference registry
  (`ReferenceRegistry`, /usr/bin/docker-registry, no auth), both on a free loopback port with a
  temporary directory, with the same small interface.
- An isolated dockerd (`Dockerd`): its own data root, exec root, pidfile, socket and client
  config, no bridge and no iptables rules, so it changes nothing on the host's network; it starts
  its own containerd (under the exec root) when no system containerd listens on
  /run/containerd/containerd.sock, which is the case on these machines.

Everything started here is stopped and its directories removed by `with`, by an explicit
stop(), and, as a last resort, at interpreter exit (atexit) and on SIGTERM (see
`install_signal_cleanup`). Processes are ended by their pid, never by name.

What dockerd 20.10 (Debian's docker.io) needs and does here, as found on these machines
(firecracker VM, root, ext4 root filesystem, cgroup v1, no system dockerd or containerd):
- /usr/sbin/dockerd, /usr/bin/containerd, containerd-shim-runc-v2 and runc, all from docker.io's
  dependencies; dockerd starts its own containerd (config and sockets under the exec root);
- overlay2 works (the data root is on ext4); ready in about 0.2-0.5 s;
- outside its own directories it creates /run/docker/plugins and, once a container ran,
  /run/containerd/s (both left empty), and /etc/docker/key.json unless the daemon config names
  another path (`deprecated-key-path`, which has no command-line flag): stop() removes the
  directories it created, and the key goes to our directory;
- with --bridge=none --iptables=false --ip6tables=false it adds no interface and no rule;
  containers run with --network none;
- a test killed with SIGKILL cannot clean up: its dockerd gets SIGTERM from the kernel
  (PR_SET_PDEATHSIG) and shuts down with its containerd, and the next Dockerd.start() removes
  the directory left behind (sweep_stale).
"""
import atexit
import base64
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wharf_harness import WharfServer, free_port  # noqa: E402

BUSYBOX = "/bin/busybox"
UMOCI = "/usr/bin/umoci"
SKOPEO = "/usr/bin/skopeo"
REGISTRY = "/usr/bin/docker-registry"
# Debian's docker.io; /usr/local/bin/docker, first on PATH, is another (newer) client.
DOCKER = "/usr/bin/docker"
DOCKERD = "/usr/sbin/dockerd"

BUSYBOX_LINKS = ("sh", "echo", "cat", "sleep", "httpd")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


# --- processes and cleanup -----------------------------------------------------------------

_cleanups = []


def _run_cleanups():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # cleanup goes on whatever one step did
            print(f"cleanup: {type(e).__name__}: {e}", file=sys.stderr)


atexit.register(_run_cleanups)


def on_exit(fn):
    """Runs fn at interpreter exit (also after SIGTERM, see install_signal_cleanup) unless
    cancel_on_exit(fn) was called first."""
    _cleanups.append(fn)
    return fn


def cancel_on_exit(fn):
    if fn in _cleanups:
        _cleanups.remove(fn)


def install_signal_cleanup():
    """SIGTERM and SIGHUP exit through SystemExit, so `finally` blocks and atexit cleanups run."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def run(cmd, *, input=None, timeout=120, env=None, check=True):
    """subprocess.run with text output; on failure raises RuntimeError with the command's stderr."""
    p = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout, env=env)
    if check and p.returncode != 0:
        out = (p.stderr.strip() or p.stdout.strip())[-2000:]
        raise RuntimeError(f"{os.path.basename(cmd[0])} {' '.join(cmd[1:4])}... exited {p.returncode}: {out}")
    return p


def _wait_gone(proc, timeout):
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def _pids_referencing(path):
    """Pids of live processes whose command line mentions `path` (a private temp directory)."""
    pids = []
    needle = path.encode()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                if needle in f.read():
                    pids.append(int(d))
        except OSError:
            pass
    return pids


def _process_identity(pid):
    """"pid starttime" of a live process (the start time tells a reused pid apart), else None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f"{pid} {f.read().rsplit(')', 1)[1].split()[19]}"
    except (OSError, IndexError):
        return None


def _process_named(name):
    """Whether a live (not zombie) process has this name."""
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
                comm, rest = stat.split(" (", 1)[1].rsplit(")", 1)
                if comm == name and rest.split()[0] not in ("Z", "X"):
                    return True
            except (OSError, IndexError):
                pass
    return False


def _term_with_parent():
    """In the child before exec: SIGTERM when the process that started it dies, however it dies
    (PR_SET_PDEATHSIG), so a test killed with SIGKILL still shuts its dockerd down."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def _kill_referencing(path):
    for _ in range(3):
        pids = _pids_referencing(path)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)


def _mounts_under(path):
    """Mount points at or below `path`, deepest first."""
    path = os.path.realpath(path)
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4]
            mp = mp.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")
            if mp == path or mp.startswith(path + "/"):
                found.append(mp)
    return sorted(set(found), key=len, reverse=True)


def unmount_under(path):
    for mp in _mounts_under(path):
        if subprocess.run(["umount", mp], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", mp], capture_output=True)


# --- OCI image layouts (umoci) ----------------------------------------------------------------

def umoci(*args, timeout=300):
    return run([UMOCI, *args], timeout=timeout)


def _init_layout(layout):
    if not os.path.exists(os.path.join(layout, "oci-layout")):
        umoci("init", "--layout", layout)


def build_busybox_image(layout, tag="latest", message="hello from wharf", unique=None):
    """Builds a one-layer image at layout:tag: /bin/busybox with symlinks sh, echo, cat, sleep and
    httpd; entrypoint ["/bin/sh", "-c"], cmd ["echo <message>"]. `unique` (str or bytes), if given,
    is written to /etc/wharf-image-id, so that images built with different values differ.
    Returns the manifest digest."""
    _init_layout(layout)
    umoci("new", "--image", f"{layout}:{tag}")
    work = tempfile.mkdtemp(prefix="wharf-umoci-")
    try:
        bundle = os.path.join(work, "bundle")
        umoci("unpack", "--image", f"{layout}:{tag}", bundle)
        rootfs = os.path.join(bundle, "rootfs")
        os.makedirs(os.path.join(rootfs, "bin"), exist_ok=True)
        shutil.copy2(BUSYBOX, os.path.join(rootfs, "bin", "busybox"))
        for name in BUSYBOX_LINKS:
            os.symlink("busybox", os.path.join(rootfs, "bin", name))
        if unique is not None:
            os.makedirs(os.path.join(rootfs, "etc"), exist_ok=True)
            with open(os.path.join(rootfs, "etc", "wharf-image-id"), "wb") as f:
                f.write(unique.encode() if isinstance(unique, str) else unique)
        umoci("repack", "--image", f"{layout}:{tag}", bundle)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    umoci("config", "--image", f"{layout}:{tag}", "--config.entrypoint", "/bin/sh",
          "--config.entrypoint", "-c", "--config.cmd", f"echo {message}")
    return oci_manifest(layout, tag)[0]


def build_data_image(layout, tag="latest", total_bytes=100 << 20, layers=5):
    """Builds an image of `layers` layers, each one file of random (incompressible) bytes under
    /data, total_bytes in all (so each compressed layer is about total_bytes/layers).
    Returns the manifest digest."""
    _init_layout(layout)
    umoci("new", "--image", f"{layout}:{tag}")
    per_layer = total_bytes // layers
    for i in range(layers):
        src = tempfile.mkdtemp(prefix="wharf-layer-")
        try:
            with open(os.path.join(src, f"blob-{i}.bin"), "wb") as f:
                left = per_layer
                while left > 0:
                    n = min(left, 1 << 20)
                    f.write(os.urandom(n))
                    left -= n
            umoci("insert", "--image", f"{layout}:{tag}", src, f"/data/layer-{i}", timeout=600)
        finally:
            shutil.rmtree(src, ignore_errors=True)
    umoci("config", "--image", f"{layout}:{tag}", "--config.cmd", "/bin/true")
    return oci_manifest(layout, tag)[0]


def oci_blob_path(layout, digest):
    algo, hexpart = digest.split(":", 1)
    return os.path.join(layout, "blobs", algo, hexpart)


def oci_manifest(layout, tag):
    """(digest, parsed manifest, raw bytes) of layout:tag."""
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    for m in index.get("manifests", []):
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            with open(oci_blob_path(layout, m["digest"]), "rb") as f:
                raw = f.read()
            return m["digest"], json.loads(raw), raw
    raise KeyError(f"no tag {tag} in {layout}")


def oci_layer_digests(layout, tag):
    return [layer["digest"] for layer in oci_manifest(layout, tag)[1]["layers"]]


def image_size(layout, tag):
    """Bytes of the manifest, config and layers (what a push sends)."""
    digest, manifest, raw = oci_manifest(layout, tag)
    return len(raw) + manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"])


# --- skopeo ---------------------------------------------------------------------------------

_skopeo_home = None


def skopeo_env(cache_dir=None):
    """skopeo's environment. Its blob-info cache (which remembers where blobs were seen, and makes
    later pushes try cross-repository mounts instead of uploads) goes to a private temporary
    directory instead of /var/lib/containers: as root it would be shared by every run and left
    behind. containers/image puts it under $XDG_DATA_HOME only for a non-root uid, which
    _CONTAINERS_ROOTLESS_UID declares. By default one directory serves the whole process (the
    test's pushes may mount blobs seen earlier in the same run, as docker's do); pass a fresh
    `cache_dir` for a copy that must know nothing (the benchmark's pushes)."""
    global _skopeo_home
    if _skopeo_home is None:
        _skopeo_home = tempfile.mkdtemp(prefix="wharf-skopeo-")
        home = _skopeo_home
        on_exit(lambda: shutil.rmtree(home, ignore_errors=True))
    cache_dir = cache_dir or _skopeo_home
    env = dict(os.environ)
    env.update(_CONTAINERS_ROOTLESS_UID="1000", XDG_DATA_HOME=cache_dir,
               XDG_RUNTIME_DIR=_skopeo_home, REGISTRY_AUTH_FILE=os.path.join(_skopeo_home, "auth.json"))
    return env


def skopeo_popen_args(*args):
    return [SKOPEO, "--insecure-policy", *args]


def skopeo(*args, timeout=600, check=True, cache_dir=None):
    return run(skopeo_popen_args(*args), timeout=timeout, env=skopeo_env(cache_dir), check=check)


def docker_ref(host, repo, tag):
    return f"docker://{host}/{repo}:{tag}"


def skopeo_copy_args(src, dest, src_creds=None, dest_creds=None, extra=()):
    """Arguments of `skopeo copy` (after "skopeo --insecure-policy"). creds: "AWS:PASSWORD" or None
    (anonymous). Registries are plain HTTP on loopback."""
    args = ["copy", "--quiet"]
    if src.startswith("docker://"):
        args += ["--src-tls-verify=false"]
        args += [f"--src-creds={src_creds}"] if src_creds else ["--src-no-creds"]
    if dest.startswith("docker://"):
        args += ["--dest-tls-verify=false"]
        args += [f"--dest-creds={dest_creds}"] if dest_creds else ["--dest-no-creds"]
    return args + list(extra) + [src, dest]


def skopeo_copy(src, dest, src_creds=None, dest_creds=None, extra=(), timeout=600, check=True, cache_dir=None):
    return skopeo(*skopeo_copy_args(src, dest, src_creds, dest_creds, extra), timeout=timeout, check=check,
                  cache_dir=cache_dir)


def push_oci(layout, tag, host, repo, rtag, creds=None, check=True, cache_dir=None):
    """skopeo copy oci:layout:tag -> docker://host/repo:rtag."""
    return skopeo_copy(f"oci:{layout}:{tag}", docker_ref(host, repo, rtag), dest_creds=creds, check=check,
                       cache_dir=cache_dir)


def pull_oci(host, repo, rtag, layout, tag, creds=None, check=True, cache_dir=None):
    """skopeo copy docker://host/repo:rtag -> oci:layout:tag."""
    return skopeo_copy(docker_ref(host, repo, rtag), f"oci:{layout}:{tag}", src_creds=creds, check=check,
                       cache_dir=cache_dir)


def skopeo_inspect(host, repo, tag, creds=None, raw=False, config=False):
    args = ["inspect", "--tls-verify=false"]
    args += [f"--creds={creds}"] if creds else ["--no-creds"]
    if raw:
        args.append("--raw")
    if config:
        args.append("--config")
    return json.loads(skopeo(*args, docker_ref(host, repo, tag), timeout=120).stdout)


# --- raw HTTP to a registry -------------------------------------------------------------------

def basic_auth(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def __repr__(self):
        return f"<{self.status} {dict(self.headers)} {self.body[:200]!r}>"


def http_request(host, method, path, body=None, headers=None, auth=None, timeout=30):
    """One request to host ("127.0.0.1:PORT"). `path` may be an absolute URL (a Location header).
    auth: an Authorization header value or None."""
    if path.startswith("http://") or path.startswith("https://"):
        u = urllib.parse.urlsplit(path)
        host, path = u.netloc, u.path + ("?" + u.query if u.query else "")
    h = dict(headers or {})
    if auth:
        h["Authorization"] = auth
    conn = http.client.HTTPConnection(host, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def upload_blob(host, repo, data, auth=None):
    """The client's chunked upload: POST /blobs/uploads/, PATCH the bytes, PUT ?digest=.
    Returns (final Response, digest)."""
    digest = sha256_digest(data)
    r = http_request(host, "POST", f"/v2/{repo}/blobs/uploads/", body=b"", auth=auth)
    if r.status != 202:
        raise AssertionError(f"POST uploads: {r}")
    loc = r.header("location")
    r = http_request(host, "PATCH", loc, body=data, auth=auth,
                     headers={"Content-Type": "application/octet-stream"}, timeout=120)
    if r.status != 202:
        raise AssertionError(f"PATCH upload: {r}")
    loc = r.header("location")
    sep = "&" if "?" in loc else "?"
    r = http_request(host, "PUT", f"{loc}{sep}digest={urllib.parse.quote(digest)}", body=b"", auth=auth,
                     headers={"Content-Type": "application/octet-stream"})
    return r, digest


# --- registries -----------------------------------------------------------------------------

class ReferenceRegistry:
    """The reference registry (docker distribution 2.8, /usr/bin/docker-registry), filesystem
    storage in a temp directory, deletes enabled, upload purging off. No auth, unless
    basic_user is given: then htpasswd Basic auth with that user and a random password (bcrypt
    at the lowest cost, so checking it on every request costs about a millisecond), which is
    ECR's scheme (Basic, user AWS) without the token."""

    name = "reference"

    def __init__(self, root=None, port=None, basic_user=None):
        self.basic_user = basic_user
        self._password = os.urandom(12).hex() if basic_user else None
        self.own_root = root is None
        self.root = root or tempfile.mkdtemp(prefix="wharf-refreg-")
        self.port = port or free_port()
        self.storage = os.path.join(self.root, "storage")
        self.config = os.path.join(self.root, "config.yml")
        self.secret = os.urandom(16).hex()
        self.proc = None
        self._cleanup = None

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    @property
    def data_dir(self):
        return self.storage

    def start(self):
        os.makedirs(self.storage, exist_ok=True)
        with open(self.config, "w") as f:
            f.write(f"""version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {self.storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{self.port}
  secret: {self.secret}
""")
            if self.basic_user:
                htpasswd = os.path.join(self.root, "htpasswd")
                with open(htpasswd, "w") as h:
                    h.write(f"{self.basic_user}:{_bcrypt(self._password)}\n")
                f.write(f"auth:\n  htpasswd:\n    realm: wharf-reference\n    path: {htpasswd}\n")
        log = open(os.path.join(self.root, "registry.log"), "ab")
        self.proc = subprocess.Popen([REGISTRY, "serve", self.config], stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL)
        log.close()
        if self._cleanup is None:
            self._cleanup = on_exit(self.close)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("docker-registry exited: " + self.read_log())
            try:
                if http_request(self.host, "GET", "/v2/", timeout=1, auth=self.auth()).status == 200:
                    return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("docker-registry not ready: " + self.read_log())

    def read_log(self):
        try:
            with open(os.path.join(self.root, "registry.log"), "rb") as f:
                return f.read().decode(errors="replace")[-3000:]
        except OSError:
            return ""

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            if not _wait_gone(self.proc, 10):
                self.proc.kill()
                self.proc.wait()

    def restart(self):
        self.kill()
        return self.start()

    def close(self):
        self.kill()
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)
        if self._cleanup:
            cancel_on_exit(self._cleanup)
            self._cleanup = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # The interface WharfRegistry has too.
    def create_repository(self, name):
        return {"repositoryName": name, "repositoryUri": f"{self.host}/{name}"}

    def password(self):
        return self._password

    def creds(self):
        return f"{self.basic_user}:{self._password}" if self.basic_user else None

    def auth(self):
        return basic_auth(self.basic_user, self._password) if self.basic_user else None


def _bcrypt(password):
    """A bcrypt hash for htpasswd ($2b$, cost 4), from the C library's crypt(3)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    h = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
    if not h or not h.startswith("$2"):
        raise RuntimeError("crypt(3) has no bcrypt here")
    return h


class WharfRegistry:
    """`wharf server --dev` serving the ECR API and the registry on one port."""

    name = "wharf"

    def __init__(self, *extra_args):
        self.server = WharfServer("--dev", *extra_args)
        self._password = None
        self._cleanup = None

    @property
    def host(self):
        return f"127.0.0.1:{self.server.port}"

    @property
    def port(self):
        return self.server.port

    @property
    def data_dir(self):
        return self.server.data_dir

    def start(self):
        self.server.start()
        self._password = None
        if self._cleanup is None:
            self._cleanup = on_exit(self.close)
        return self

    def kill(self, sig=signal.SIGKILL):
        self.server.kill(sig)

    def restart(self):
        """Kills wharf (SIGKILL) and starts it again on the same data directory and port."""
        self.server.kill()
        self.server.log.close()
        return self.start()

    def close(self):
        self.server.__exit__(None, None, None)
        if self._cleanup:
            cancel_on_exit(self._cleanup)
            self._cleanup = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def ecr(self):
        return self.server.boto3("ecr")

    def create_repository(self, name):
        return self.ecr().create_repository(repositoryName=name)["repository"]

    def password(self):
        """`aws ecr get-login-password` (the CLI prints the token as plain text)."""
        if self._password is None:
            p = self.server.aws("ecr", "get-login-password", check=False)
            if p.returncode != 0 or not p.stdout.strip():
                raise AssertionError(f"aws ecr get-login-password failed ({p.returncode}): {p.stderr.strip()}")
            self._password = p.stdout.strip()
        return self._password

    def creds(self):
        return "AWS:" + self.password()

    def auth(self):
        return basic_auth("AWS", self.password())

    def aws_command(self):
        """The aws CLI command line (with endpoint) as a list, for shell pipelines."""
        from wharf_harness import DEBIAN_AWS
        return [DEBIAN_AWS, "--endpoint-url", self.server.endpoint, "--region", "us-east-1"]


# --- an isolated dockerd ----------------------------------------------------------------------

# Paths outside its own directories that dockerd 20.10 (and the containerd it starts) create.
# Those that did not exist before start() are removed by stop() when empty. /etc/docker/key.json
# is avoided with "deprecated-key-path" in the daemon config.
_DOCKERD_GLOBAL_DIRS = ("/run/containerd/s", "/run/containerd", "/run/docker/plugins", "/run/docker")


class Dockerd:
    """dockerd with its own --data-root, --exec-root, --pidfile and unix socket under one temp
    directory; --bridge=none --iptables=false --ip6tables=false (no network changes on the host);
    storage driver overlay2, or vfs when overlay2 cannot start. The docker client it runs
    (/usr/bin/docker -H unix://...) has its own DOCKER_CONFIG there too, so `docker login`
    writes nothing under ~/.docker.

    Facts recorded for the report: start_seconds, storage_driver, tried (driver -> outcome),
    left_behind (what stop() could not remove)."""

    def __init__(self, drivers=("overlay2", "vfs")):
        # Short: unix socket paths (ours and containerd's under the exec root) must stay < 108 bytes.
        self.root = tempfile.mkdtemp(prefix="wharf-dk-", dir="/tmp")
        with open(os.path.join(self.root, "owner"), "w") as f:
            f.write(_process_identity(os.getpid()) + "\n")  # see sweep_stale
        self.sock = os.path.join(self.root, "docker.sock")
        self.data_root = os.path.join(self.root, "data")
        self.exec_root = os.path.join(self.root, "exec")
        self.pidfile = os.path.join(self.root, "docker.pid")
        self.client_config = os.path.join(self.root, "client")
        self.drivers = drivers
        self.proc = None
        self.storage_driver = None
        self.start_seconds = None
        self.tried = {}
        self.left_behind = []
        self._global_before = {}
        self._cleanup = None

    def start(self, timeout=60):
        self.sweep_stale()
        self._global_before = {p: os.path.exists(p) for p in _DOCKERD_GLOBAL_DIRS + ("/etc/docker/key.json",)}
        if self._cleanup is None:
            self._cleanup = on_exit(self.stop)
        os.makedirs(self.client_config, exist_ok=True)
        with open(os.path.join(self.root, "daemon.json"), "w") as f:
            # Not /etc/docker/daemon.json; and the trust key in our directory, not /etc/docker/key.json
            # (dockerd 20.10 has no command-line flag for it).
            json.dump({"deprecated-key-path": os.path.join(self.root, "key.json")}, f)
        for driver in self.drivers:
            for d in (self.data_root, self.exec_root):
                unmount_under(d)
                shutil.rmtree(d, ignore_errors=True)
            log_path = os.path.join(self.root, f"dockerd-{driver}.log")
            log = open(log_path, "ab")
            t0 = time.monotonic()
            self.proc = subprocess.Popen(
                [DOCKERD, "--data-root", self.data_root, "--exec-root", self.exec_root,
                 "--pidfile", self.pidfile, "--host", "unix://" + self.sock,
                 "--config-file", os.path.join(self.root, "daemon.json"),
                 "--bridge=none", "--iptables=false", "--ip6tables=false",
                 "--storage-driver", driver],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, preexec_fn=_term_with_parent)
            log.close()
            outcome = self._wait_ready(t0 + timeout)
            self.tried[driver] = outcome
            if outcome == "ready":
                self.start_seconds = time.monotonic() - t0
                info = self.docker("info", "--format", "{{.Driver}}", timeout=30)
                self.storage_driver = info.stdout.strip()
                return self
            self._kill_all()
        with open(log_path, "rb") as f:
            tail = f.read().decode(errors="replace")[-2000:]
        raise RuntimeError(f"dockerd did not start ({self.tried}): {tail}")

    def _ping(self):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(self.sock)
            s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.0 200") or False

    def _wait_ready(self, deadline):
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"exited {self.proc.returncode}"
            try:
                if self._ping():
                    return "ready"
            except OSError:
                pass
            time.sleep(0.05)
        return "timed out"

    def env(self):
        env = dict(os.environ)
        for k in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
            env.pop(k, None)
        env.update(DOCKER_CONFIG=self.client_config, DOCKER_BUILDKIT="0", DOCKER_CLI_HINTS="false")
        return env

    def command(self):
        return [DOCKER, "-H", "unix://" + self.sock]

    def docker(self, *args, input=None, timeout=180, check=True):
        return run(self.command() + list(args), input=input, timeout=timeout, env=self.env(), check=check)

    def _kill_all(self):
        """SIGTERM dockerd (it stops its containerd), SIGKILL if it takes over 20 s, then SIGKILL
        any process still naming our directory (its containerd, shims)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if not _wait_gone(self.proc, 20):
                self.proc.kill()
                self.proc.wait(timeout=10)
        _kill_referencing(self.root)

    @staticmethod
    def sweep_stale(max_age=3600):
        """Removes what an earlier run killed with SIGKILL left (its cleanup never ran): our
        /tmp/wharf-dk-* directories whose dockerd is dead, with their mounts and processes."""
        for name in os.listdir("/tmp"):
            root = os.path.join("/tmp", name)
            if not name.startswith("wharf-dk-") or not os.path.isdir(root):
                continue
            try:
                with open(os.path.join(root, "owner")) as f:
                    owner = f.read().strip()
                in_use = owner == _process_identity(int(owner.split()[0]))  # its test still runs
            except (OSError, ValueError, IndexError):
                in_use = time.time() - os.stat(root).st_mtime < max_age  # being created right now?
            if not in_use:
                _kill_referencing(root)
                unmount_under(root)
                shutil.rmtree(root, ignore_errors=True)
        if not any(_process_named(n) for n in ("dockerd", "containerd")):
            for p in _DOCKERD_GLOBAL_DIRS:  # deepest first; only empty ones go
                try:
                    os.rmdir(p)
                except OSError:
                    pass

    def stop(self):
        """Stops everything, unmounts what is left under our directory, removes it and the global
        directories this dockerd created (when empty). Safe to call twice."""
        if self._cleanup:
            cancel_on_exit(self._cleanup)
            self._cleanup = None
        self._kill_all()
        unmount_under(self.root)
        shutil.rmtree(self.root, ignore_errors=True)
        left = []
        if os.path.exists(self.root):
            left.append(self.root)
        left += [f"mount {m}" for m in _mounts_under(self.root)]
        for p in _DOCKERD_GLOBAL_DIRS:
            if os.path.isdir(p) and not self._global_before.get(p, True):
                try:
                    os.rmdir(p)
                except OSError:
                    left.append(p)
        if os.path.exists("/etc/docker/key.json") and not self._global_before.get("/etc/docker/key.json", True):
            left.append("/etc/docker/key.json")
        self.left_behind = left
        return left

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
