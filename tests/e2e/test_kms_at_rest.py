#!/usr/bin/python3
"""KMS encryption at rest: ECR repositories and CloudWatch Logs log groups, and acknowledged
secret versions surviving kill -9.

ECR: seed 004's CreateRepository (KMS with the default key, MUTABLE, scan on push), a push and a
pull with skopeo, the layer bytes nowhere on disk in plaintext, a ranged blob read; a repository
under a customer key: disabling the key makes pulls fail (the registry's DENIED) and the ECR API's
GetDownloadUrlForLayer / InitiateLayerUpload answer KmsException; enabling restores them.
Logs: a log group with kmsKeyId (DescribeLogGroups shows it), events put and read, segment files
without the messages, a disabled key refusing GetLogEvents and FilterLogEvents with
AccessDeniedException, DisassociateKmsKey / AssociateKmsKey.
An upload in progress (PATCHed in pieces, and the ECR API's parts) is sealed as it arrives: no
piece of it in plaintext under the data directory before the final PUT; a KMS repository's
manifests are sealed (a disabled key refuses GET manifest and BatchGetImage); garbage
collection leaves no empty sealed directories.
Secrets Manager: PutSecretValue in a loop while the server is killed with SIGKILL; after a
restart every acknowledged version is listed and reads back.
"""
import os
import shutil
import tempfile
import threading
import time

from wharf_harness import Checks, WharfServer, expect_client_error
import registry_fixtures as rf

ACCOUNT = "000000000000"
rf.install_signal_cleanup()
checks = Checks()
work = tempfile.mkdtemp(prefix="wharf-kmsrest-")
rf.on_exit(lambda: shutil.rmtree(work, ignore_errors=True))


def files_under(root):
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            yield os.path.join(dirpath, name)


def files_containing(root, needles):
    """The files under root holding any of the byte strings."""
    found = []
    for path in files_under(root):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if any(n in data for n in needles):
            found.append(path)
    return found


def layer_samples(layout, tag):
    """64-byte pieces of each layer of layout:tag (start, middle, end)."""
    samples = []
    for digest in rf.oci_layer_digests(layout, tag):
        with open(rf.oci_blob_path(layout, digest), "rb") as f:
            data = f.read()
        for at in (0, len(data) // 2, max(0, len(data) - 64)):
            samples.append(data[at:at + 64])
    return samples


with rf.WharfRegistry() as registry:
    server = registry.server
    ecr = server.boto3("ecr")
    kms = server.boto3("kms")
    logs = server.boto3("logs")
    layout = os.path.join(work, "src")
    rf.build_data_image(layout, "v1", total_bytes=6 << 20, layers=2)
    state = {}

    @checks.run
    def seed_004_repository_with_kms():
        repo = ecr.create_repository(repositoryName="wordpress", imageTagMutability="MUTABLE",
                                     imageScanningConfiguration={"scanOnPush": True},
                                     encryptionConfiguration={"encryptionType": "KMS"})["repository"]
        managed = kms.describe_key(KeyId="alias/aws/ecr")["KeyMetadata"]
        assert managed["KeyManager"] == "AWS", managed
        assert repo["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": managed["Arn"]}, repo
        described = ecr.describe_repositories(repositoryNames=["wordpress"])["repositories"][0]
        assert described["encryptionConfiguration"] == repo["encryptionConfiguration"], described
        plain = ecr.create_repository(repositoryName="plain")["repository"]
        assert plain["encryptionConfiguration"] == {"encryptionType": "AES256"}, plain
        expect_client_error(lambda: ecr.create_repository(
            repositoryName="nokey", encryptionConfiguration={"encryptionType": "KMS", "kmsKey": "alias/missing"}),
            "KmsException")
        expect_client_error(lambda: ecr.create_repository(
            repositoryName="both", encryptionConfiguration={"encryptionType": "AES256", "kmsKey": managed["Arn"]}),
            "InvalidParameterException")

    @checks.run
    def push_and_pull_a_kms_repository():
        rf.push_oci(layout, "v1", registry.host, "wordpress", "latest", creds=registry.creds())
        out = os.path.join(work, "pulled")
        rf.pull_oci(registry.host, "wordpress", "latest", out, "v1", creds=registry.creds())
        assert rf.oci_layer_digests(out, "v1") == rf.oci_layer_digests(layout, "v1")
        for digest in rf.oci_layer_digests(layout, "v1"):
            with open(rf.oci_blob_path(out, digest), "rb") as a, open(rf.oci_blob_path(layout, digest), "rb") as b:
                assert a.read() == b.read(), digest

    @checks.run
    def layer_bytes_are_not_on_disk_in_plaintext():
        root = os.path.join(registry.data_dir, "registry")
        found = files_containing(registry.data_dir, layer_samples(layout, "v1"))
        assert not found, f"plaintext layer bytes in {found}"
        sealed = [p for p in files_under(os.path.join(root, "sealed"))]
        assert len(sealed) >= 3, sealed  # two layers and the config
        for digest in rf.oci_layer_digests(layout, "v1"):
            assert not os.path.exists(os.path.join(root, "blobs", "sha256", digest[7:9], digest[7:])), digest

    @checks.run
    def ranged_read_of_a_sealed_layer():
        digest = rf.oci_layer_digests(layout, "v1")[0]
        with open(rf.oci_blob_path(layout, digest), "rb") as f:
            data = f.read()
        for first, last in ((0, 9), (65530, 65545), (len(data) - 100, len(data) - 1), (70000, 300000)):
            r = rf.http_request(registry.host, "GET", f"/v2/wordpress/blobs/{digest}", auth=registry.auth(),
                                headers={"Range": f"bytes={first}-{last}"})
            assert r.status == 206, r
            assert r.body == data[first:last + 1], (first, last, len(r.body))
        r = rf.http_request(registry.host, "HEAD", f"/v2/wordpress/blobs/{digest}", auth=registry.auth())
        assert r.status == 200 and int(r.header("content-length")) == len(data), r

    @checks.run
    def disabled_key_refuses_pulls_until_enabled():
        key = kms.create_key(Description="registry key")["KeyMetadata"]
        state["key"] = key["KeyId"]
        repo = ecr.create_repository(repositoryName="secure/app", encryptionConfiguration={
            "encryptionType": "KMS", "kmsKey": key["Arn"]})["repository"]
        assert repo["encryptionConfiguration"]["kmsKey"] == key["Arn"], repo
        rf.push_oci(layout, "v1", registry.host, "secure/app", "v1", creds=registry.creds())
        digest = rf.oci_layer_digests(layout, "v1")[0]
        kms.disable_key(KeyId=key["KeyId"])
        p = rf.pull_oci(registry.host, "secure/app", "v1", os.path.join(work, "denied"), "v1",
                        creds=registry.creds(), check=False)
        # The manifest is sealed too, so the pull stops at it with the registry's DENIED and
        # KMS's words.
        assert p.returncode != 0 and "denied" in p.stderr and "DisabledException" in p.stderr, p.stderr
        r = rf.http_request(registry.host, "GET", f"/v2/secure/app/blobs/{digest}", auth=registry.auth())
        assert r.status == 403 and b"DENIED" in r.body and b"DisabledException" in r.body, r
        err = expect_client_error(lambda: ecr.get_download_url_for_layer(repositoryName="secure/app",
                                                                         layerDigest=digest), "KmsException")
        assert err.response["kmsError"] == "DisabledException", err.response
        expect_client_error(lambda: ecr.initiate_layer_upload(repositoryName="secure/app"), "KmsException")
        # The other repositories are not affected.
        rf.pull_oci(registry.host, "wordpress", "latest", os.path.join(work, "still"), "v1", creds=registry.creds())
        kms.enable_key(KeyId=key["KeyId"])
        out = os.path.join(work, "enabled")
        rf.pull_oci(registry.host, "secure/app", "v1", out, "v1", creds=registry.creds())
        assert rf.oci_layer_digests(out, "v1") == rf.oci_layer_digests(layout, "v1")

    @checks.run
    def an_upload_in_progress_is_sealed_as_it_arrives():
        # A 3 MiB layer PATCHed in 5 pieces of odd sizes; before the final PUT no piece of it
        # is anywhere under the data directory in plaintext (uploads, spool or elsewhere).
        ecr.create_repository(repositoryName="chunked", encryptionConfiguration={"encryptionType": "KMS"})
        data = os.urandom(3 << 20)
        digest = rf.sha256_digest(data)
        auth = registry.auth()
        r = rf.http_request(registry.host, "POST", "/v2/chunked/blobs/uploads/", body=b"", auth=auth)
        assert r.status == 202, r
        location = r.header("location")
        cuts = [0, 1, 70001, 1 << 20, (2 << 20) + 17, len(data)]
        for first, end in zip(cuts, cuts[1:]):
            r = rf.http_request(registry.host, "PATCH", location, body=data[first:end], auth=auth,
                                headers={"Content-Type": "application/octet-stream",
                                         "Content-Range": f"{first}-{end - 1}"})
            assert r.status == 202, r
            assert r.header("range") == f"0-{end - 1}", r.headers
            location = r.header("location")
        samples = [data[at:at + 64] for at in (0, 70001, 1 << 20, len(data) - 64)]
        found = files_containing(registry.data_dir, samples)
        assert not found, f"plaintext upload bytes in {found}"
        uploads = list(files_under(os.path.join(registry.data_dir, "registry", "uploads")))
        assert uploads and all(p.endswith(".wsu") for p in uploads), uploads
        r = rf.http_request(registry.host, "GET", location, auth=auth)
        assert r.status == 204 and r.header("range") == f"0-{len(data) - 1}", r
        sep = "&" if "?" in location else "?"
        r = rf.http_request(registry.host, "PUT", f"{location}{sep}digest={digest}", body=b"", auth=auth,
                            headers={"Content-Type": "application/octet-stream"})
        assert r.status == 201, r
        got = rf.http_request(registry.host, "GET", f"/v2/chunked/blobs/{digest}", auth=auth)
        assert got.status == 200 and got.body == data, got.status
        assert not list(files_under(os.path.join(registry.data_dir, "registry", "uploads")))
        state["chunked_digest"] = digest
        # The ECR API's layer upload seals its parts too.
        part = os.urandom(100000)
        upload = ecr.initiate_layer_upload(repositoryName="chunked")["uploadId"]
        ecr.upload_layer_part(repositoryName="chunked", uploadId=upload, partFirstByte=0,
                              partLastByte=len(part) - 1, layerPartBlob=part)
        assert not files_containing(registry.data_dir, [part[5000:5064]])
        done = ecr.complete_layer_upload(repositoryName="chunked", uploadId=upload,
                                         layerDigests=[rf.sha256_digest(part)])
        assert done["layerDigest"] == rf.sha256_digest(part), done

    @checks.run
    def manifests_of_a_kms_repository_are_sealed():
        digest = state["chunked_digest"]
        config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
        r, config_digest = rf.upload_blob(registry.host, "chunked", config, auth=registry.auth())
        assert r.status == 201, r
        marker = "manifest-annotation-" + os.urandom(8).hex()
        manifest = ('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
                    f'"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}",'
                    f'"size":{len(config)}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar",'
                    f'"digest":"{digest}","size":{3 << 20}}}],"annotations":{{"note":"{marker}"}}}}').encode()
        r = rf.http_request(registry.host, "PUT", "/v2/chunked/manifests/v1", body=manifest, auth=registry.auth(),
                            headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        assert r.status == 201, r
        found = files_containing(registry.data_dir, [marker.encode()])
        assert not found, f"plaintext manifest in {found}"
        got = rf.http_request(registry.host, "GET", "/v2/chunked/manifests/v1", auth=registry.auth(),
                              headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        assert got.status == 200 and got.body == manifest, got
        images = ecr.batch_get_image(repositoryName="chunked", imageIds=[{"imageTag": "v1"}])["images"]
        assert images[0]["imageManifest"].encode() == manifest, images
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        ecr.create_repository(repositoryName="chunked-own", encryptionConfiguration={
            "encryptionType": "KMS", "kmsKey": key})
        r, _ = rf.upload_blob(registry.host, "chunked-own", config, auth=registry.auth())
        assert r.status == 201, r
        small = ('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
                 f'"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}",'
                 f'"size":{len(config)}}},"layers":[]}}').encode()
        r = rf.http_request(registry.host, "PUT", "/v2/chunked-own/manifests/v1", body=small, auth=registry.auth(),
                            headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        assert r.status == 201, r
        kms.disable_key(KeyId=key)
        r = rf.http_request(registry.host, "GET", "/v2/chunked-own/manifests/v1", auth=registry.auth(),
                            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        assert r.status == 403 and b"DisabledException" in r.body, r
        err = expect_client_error(lambda: ecr.batch_get_image(repositoryName="chunked-own",
                                                              imageIds=[{"imageTag": "v1"}]), "KmsException")
        assert err.response["kmsError"] == "DisabledException", err.response
        # What needs no manifest still answers.
        assert len(ecr.describe_images(repositoryName="chunked-own")["imageDetails"]) == 1
        kms.enable_key(KeyId=key)
        r = rf.http_request(registry.host, "GET", "/v2/chunked-own/manifests/v1", auth=registry.auth(),
                            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        assert r.status == 200 and r.body == small, r
        # An upload in progress when its key is disabled takes no more pieces; enabled again, it
        # goes on; appended to through another KMS repository's path, it is unknown there.
        r = rf.http_request(registry.host, "POST", "/v2/chunked-own/blobs/uploads/", body=b"", auth=registry.auth())
        assert r.status == 202, r
        location = r.header("location")
        piece = {"Content-Type": "application/octet-stream"}
        r = rf.http_request(registry.host, "PATCH", location, body=b"a" * 1000, auth=registry.auth(), headers=piece)
        assert r.status == 202, r
        kms.disable_key(KeyId=key)
        r = rf.http_request(registry.host, "PATCH", location, body=b"b" * 1000, auth=registry.auth(), headers=piece)
        assert r.status == 403 and b"DisabledException" in r.body, r
        kms.enable_key(KeyId=key)
        r = rf.http_request(registry.host, "PATCH", location, body=b"b" * 1000, auth=registry.auth(), headers=piece)
        assert r.status == 202 and r.header("range") == "0-1999", r
        elsewhere = location.replace("/v2/chunked-own/", "/v2/chunked/")
        r = rf.http_request(registry.host, "PATCH", elsewhere, body=b"c", auth=registry.auth(), headers=piece)
        assert r.status == 404 and b"BLOB_UPLOAD_UNKNOWN" in r.body, r
        rf.http_request(registry.host, "DELETE", location, auth=registry.auth())
        state["own_repo"] = "chunked-own"

    @checks.run
    def garbage_collection_leaves_no_empty_sealed_directories():
        sealed_root = os.path.join(registry.data_dir, "registry", "sealed")
        before = set(os.listdir(sealed_root))
        ecr.delete_repository(repositoryName="chunked", force=True)
        ecr.delete_repository(repositoryName=state["own_repo"], force=True)
        r = rf.http_request(registry.host, "POST", "/_wharf/registry/gc", body=b"")
        assert r.status == 200, r
        after = set(os.listdir(sealed_root))
        assert len(after) == len(before) - 2, (before, after)
        empty = [d for d, subdirs, names in os.walk(sealed_root) if not subdirs and not names and d != sealed_root]
        assert not empty, empty

    @checks.run
    def kms_log_group_seals_its_segments():
        key = kms.create_key(Description="logs key")["KeyMetadata"]
        state["logs_key"] = key["KeyId"]
        logs.create_log_group(logGroupName="/ecs/wordpress", kmsKeyId=key["Arn"])
        group = logs.describe_log_groups(logGroupNamePrefix="/ecs/wordpress")["logGroups"][0]
        assert group["kmsKeyId"] == key["Arn"], group
        logs.create_log_stream(logGroupName="/ecs/wordpress", logStreamName="web/1")
        now = int(time.time() * 1000)
        messages = [f"sealed-log-line-{i}-c0ffee-d1e5e1" for i in range(20)]
        logs.put_log_events(logGroupName="/ecs/wordpress", logStreamName="web/1",
                            logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])
        got = logs.get_log_events(logGroupName="/ecs/wordpress", logStreamName="web/1", startFromHead=True)
        assert [e["message"] for e in got["events"]] == messages, got["events"]
        filtered = logs.filter_log_events(logGroupName="/ecs/wordpress", filterPattern='"line-7-"')
        assert [e["message"] for e in filtered["events"]] == [messages[7]], filtered["events"]
        found = files_containing(os.path.join(registry.data_dir, "logs"), [b"c0ffee-d1e5e1", b"sealed-log-line"])
        assert not found, f"log messages in plaintext in {found}"
        segments = [p for p in files_under(os.path.join(registry.data_dir, "logs")) if p.endswith(".seg")]
        assert segments, "no segment files"

    @checks.run
    def disabled_key_refuses_log_reads():
        kms.disable_key(KeyId=state["logs_key"])
        err = expect_client_error(lambda: logs.get_log_events(logGroupName="/ecs/wordpress", logStreamName="web/1"),
                                  "AccessDeniedException")
        assert "/ecs/wordpress" in str(err), err
        expect_client_error(lambda: logs.filter_log_events(logGroupName="/ecs/wordpress", filterPattern="line"),
                            "AccessDeniedException")
        expect_client_error(lambda: logs.put_log_events(
            logGroupName="/ecs/wordpress", logStreamName="web/1",
            logEvents=[{"timestamp": int(time.time() * 1000), "message": "x"}]), "AccessDeniedException")
        kms.enable_key(KeyId=state["logs_key"])
        got = logs.get_log_events(logGroupName="/ecs/wordpress", logStreamName="web/1", startFromHead=True)
        assert len(got["events"]) == 20, got

    @checks.run
    def disassociate_and_associate():
        logs.disassociate_kms_key(logGroupName="/ecs/wordpress")
        group = logs.describe_log_groups(logGroupNamePrefix="/ecs/wordpress")["logGroups"][0]
        assert "kmsKeyId" not in group, group
        # Past the first batch's timestamps (now + 0..19 ms), which a fast run can still be inside.
        now = int(time.time() * 1000) + 1000
        logs.put_log_events(logGroupName="/ecs/wordpress", logStreamName="web/1",
                            logEvents=[{"timestamp": now, "message": "after-disassociate"}])
        # Events sealed before still need the key, as on AWS.
        kms.disable_key(KeyId=state["logs_key"])
        expect_client_error(lambda: logs.get_log_events(logGroupName="/ecs/wordpress", logStreamName="web/1",
                                                        startFromHead=True), "AccessDeniedException")
        kms.enable_key(KeyId=state["logs_key"])
        other = kms.create_key()["KeyMetadata"]
        logs.associate_kms_key(logGroupName="/ecs/wordpress", kmsKeyId=other["Arn"])
        group = logs.describe_log_groups(logGroupNamePrefix="/ecs/wordpress")["logGroups"][0]
        assert group["kmsKeyId"] == other["Arn"], group
        logs.put_log_events(logGroupName="/ecs/wordpress", logStreamName="web/1",
                            logEvents=[{"timestamp": now + 1, "message": "under-the-second-key"}])
        got = logs.get_log_events(logGroupName="/ecs/wordpress", logStreamName="web/1", startFromHead=True)
        assert [e["message"] for e in got["events"]][-2:] == ["after-disassociate", "under-the-second-key"], got
        expect_client_error(lambda: logs.create_log_group(logGroupName="bad-key", kmsKeyId="arn:aws:kms:us-east-1:"
                                                          f"{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"),
                            "AccessDeniedException")
        # A missing group is named before the key is tried, as on AWS.
        expect_client_error(lambda: logs.associate_kms_key(logGroupName="/no/such/group", kmsKeyId=other["Arn"]),
                            "ResourceNotFoundException")
        expect_client_error(lambda: logs.associate_kms_key(
            logGroupName="/no/such/group",
            kmsKeyId=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"),
            "ResourceNotFoundException")

    @checks.run
    def kms_state_survives_a_restart():
        registry.restart()
        out = os.path.join(work, "after-restart")
        rf.pull_oci(registry.host, "wordpress", "latest", out, "v1", creds=registry.creds())
        got = server.boto3("logs").get_log_events(logGroupName="/ecs/wordpress", logStreamName="web/1",
                                                  startFromHead=True)
        assert len(got["events"]) == 22, got


@checks.run
def kill_9_during_put_secret_value_loses_no_acknowledged_version():
    data_dir = tempfile.mkdtemp(prefix="wharf-e2e-secrets-kill-")
    rf.on_exit(lambda: shutil.rmtree(data_dir, ignore_errors=True))
    server = WharfServer(data_dir=data_dir)
    server.start()
    try:
        sm = server.boto3("secretsmanager")
        arn = sm.create_secret(Name="db/password", SecretString="v0")["ARN"]
        acked = {}  # version id -> value
        stop = threading.Event()

        def writer():
            client = server.boto3("secretsmanager")
            i = 1
            while not stop.is_set() and i < 90:
                value = f"value-{i}"
                try:
                    out = client.put_secret_value(SecretId=arn, SecretString=value)
                except Exception:  # the server died under it: not acknowledged
                    return
                acked[out["VersionId"]] = value
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        deadline = time.time() + 30
        while len(acked) < 25 and time.time() < deadline and t.is_alive():
            time.sleep(0.005)
        server.kill()  # SIGKILL, mid-loop
        stop.set()
        t.join(timeout=60)
        assert len(acked) >= 25, len(acked)
        server.log.close()
        server.start()
        sm = server.boto3("secretsmanager")
        listed = set()
        token = None
        while True:
            kw = {"SecretId": arn, "IncludeDeprecated": True, "MaxResults": 100}
            if token:
                kw["NextToken"] = token
            page = sm.list_secret_version_ids(**kw)
            listed.update(v["VersionId"] for v in page["Versions"])
            token = page.get("NextToken")
            if not token:
                break
        missing = set(acked) - listed
        assert not missing, f"{len(missing)} acknowledged versions lost"
        for version_id, value in acked.items():
            got = sm.get_secret_value(SecretId=arn, VersionId=version_id)["SecretString"]
            assert got == value, (version_id, got, value)
        current = sm.get_secret_value(SecretId=arn)["SecretString"]
        assert current in set(acked.values()) | {f"value-{len(acked) + 1}"}, current
    finally:
        server.kill()


checks.finish()
