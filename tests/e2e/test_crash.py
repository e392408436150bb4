#!/usr/bin/python3
"""Crash test: `kill -9` the server during a stream of writes through the API. After a
restart every acknowledged write is there, and nothing half-written is visible: each
family's revisions run 1..N without gaps and each acknowledged revision has exactly the
content that was sent. Run on the SQLite store and on the etcd store."""
import os
import shutil
import signal
import tempfile
import threading
import time

import botocore.config

from etcd_harness import Etcd
from wharf_harness import Checks, WharfServer

checks = Checks()
WRITERS = 4
RUN_SECONDS = 2.0


def hammer(server):
    """Registers task definitions from several threads until the server dies."""
    acked = []  # (family, revision, image)
    lock = threading.Lock()
    stop = threading.Event()
    config = botocore.config.Config(retries={"max_attempts": 0}, connect_timeout=2, read_timeout=5)

    def writer(n):
        ecs = server.boto3("ecs", config=config)
        i = 0
        while not stop.is_set():
            image = f"registry.local/app-{n}:{i}"
            try:
                td = ecs.register_task_definition(
                    family=f"crash-{n % 2}",
                    containerDefinitions=[{"name": "app", "image": image, "memory": 64}])["taskDefinition"]
            except Exception:
                return  # the server is gone: this write was not acknowledged
            with lock:
                acked.append((td["family"], td["revision"], image))
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    time.sleep(RUN_SECONDS)
    server.kill(signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join()
    return acked


def verify(server, acked):
    ecs = server.boto3("ecs")
    stored = {}
    assert len(acked) > 20, f"only {len(acked)} writes acknowledged before the kill"
    for family in ("crash-0", "crash-1"):
        revisions = []
        for page in ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family):
            revisions += [int(a.rsplit(":", 1)[1]) for a in page["taskDefinitionArns"]]
        assert revisions == list(range(1, len(revisions) + 1)), f"{family}: gaps in {revisions}"
        mine = [a for a in acked if a[0] == family]
        assert len(revisions) >= len(mine), (family, len(revisions), len(mine))
        stored[family] = len(revisions)
    for family, revision, image in acked:
        td = ecs.describe_task_definition(taskDefinition=f"{family}:{revision}")["taskDefinition"]
        assert td["containerDefinitions"][0]["image"] == image, (family, revision, image)
    # The restarted server goes on numbering after the last revision on disk.
    td = ecs.register_task_definition(
        family="crash-0", containerDefinitions=[{"name": "app", "image": "after", "memory": 64}])["taskDefinition"]
    assert td["revision"] == stored["crash-0"] + 1, (td["revision"], stored)


def crash_and_recover(*store_args):
    data_dir = tempfile.mkdtemp(prefix="wharf-crash-")
    try:
        server = WharfServer(*store_args, data_dir=data_dir)
        server.start()
        acked = hammer(server)
        server.start()  # same data dir and port
        try:
            verify(server, acked)
        finally:
            server.kill()
        print(f"     {len(acked)} acknowledged writes survived kill -9", flush=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@checks.run
def sqlite_store_survives_kill_9():
    crash_and_recover()


@checks.run
def etcd_store_survives_kill_9():
    with Etcd() as etcd:
        crash_and_recover("--store", etcd.url)


checks.finish()
