"""A private etcd on loopback ports for a test, removed when the `with` block ends."""
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

from wharf_harness import free_port

ETCD = "/usr/bin/etcd"


class Etcd:
    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="wharf-etcd-")
        self.client_port, peer_port = free_port(), free_port()
        client = f"http://127.0.0.1:{self.client_port}"
        peer = f"http://127.0.0.1:{peer_port}"
        self.log = open(os.path.join(self.dir, "etcd.log"), "wb")
        self.proc = subprocess.Popen(
            [ETCD, "--name", "wharf-test", "--data-dir", os.path.join(self.dir, "data"),
             "--listen-client-urls", client, "--advertise-client-urls", client,
             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
             "--initial-cluster", f"wharf-test={peer}"],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(client + "/health", timeout=1) as r:
                    if b"true" in r.read():
                        return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("etcd did not become healthy")

    @property
    def url(self):
        return f"etcd://127.0.0.1:{self.client_port}"

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
