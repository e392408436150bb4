#!/usr/bin/python3
"""The OCI distribution protocol and the ECR API, request by request: chunked uploads with
Content-Range, resumable status, cross-repository mount, Range reads, digest and blob checks,
tag immutability, tag and catalog pagination, referrers, and ECR's own layer-upload calls."""
import base64
import hashlib
import json
import urllib.error
import urllib.request

from wharf_harness import Checks, WharfServer, expect_client_error

checks = Checks()


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    def __init__(self, server, password):
        self.base = server.endpoint
        self.auth = "Basic " + base64.b64encode(b"AWS:" + password.encode()).decode()

    def call(self, method, path, body=None, headers=None):
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers={"Authorization": self.auth, **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def push_blob(self, repo, data):
        status, headers, _ = self.call("POST", f"/v2/{repo}/blobs/uploads/")
        assert status == 202, status
        status, _, _ = self.call("PUT", headers["Location"] + "?digest=" + digest(data), data)
        assert status == 201, status
        return digest(data)

    def push_image(self, repo, tag, layer_bytes, extra=None):
        config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        manifest = {
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": self.push_blob(repo, config), "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": self.push_blob(repo, layer_bytes), "size": len(layer_bytes)}]}
        manifest.update(extra or {})
        body = json.dumps(manifest).encode()
        status, headers, reply = self.call("PUT", f"/v2/{repo}/manifests/{tag}", body,
                                           {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        return status, headers, reply, digest(body)


def error_code(reply):
    return json.loads(reply)["errors"][0]["code"]


with WharfServer("--dev") as server:
    ecr = server.boto3("ecr")
    for name in ("proto/a", "proto/b", "proto/immutable"):
        ecr.create_repository(repositoryName=name,
                              imageTagMutability="IMMUTABLE" if "immutable" in name else "MUTABLE")
    reg = Registry(server, server.aws("ecr", "get-login-password", check=False).stdout.strip())

    @checks.run
    def chunked_upload_with_content_range_and_status():
        data = bytes(range(256)) * 1000
        status, headers, _ = reg.call("POST", "/v2/proto/a/blobs/uploads/")
        location = headers["Location"]
        status, headers, _ = reg.call("PATCH", location, data[:100000],
                                      {"Content-Range": "0-99999", "Content-Type": "application/octet-stream"})
        assert status == 202 and headers["Range"] == "0-99999", (status, headers)
        status, headers, _ = reg.call("GET", location)
        assert status == 204 and headers["Range"] == "0-99999", (status, headers)
        status, headers, reply = reg.call("PATCH", location, data[100000:], {"Content-Range": "5-10"})
        assert status == 416, status
        status, headers, _ = reg.call("PATCH", location, data[100000:], {"Content-Range": f"100000-{len(data) - 1}"})
        assert status == 202
        status, headers, _ = reg.call("PUT", location + "?digest=" + digest(data))
        assert status == 201 and headers["Docker-Content-Digest"] == digest(data)
        status, headers, body = reg.call("GET", f"/v2/proto/a/blobs/{digest(data)}")
        assert status == 200 and body == data
        status, headers, body = reg.call("GET", f"/v2/proto/a/blobs/{digest(data)}", headers={"Range": "bytes=10-19"})
        assert status == 206 and body == data[10:20] and headers["Content-Range"] == f"bytes 10-19/{len(data)}"
        status, headers, body = reg.call("HEAD", f"/v2/proto/a/blobs/{digest(data)}")
        assert status == 200 and int(headers["Content-Length"]) == len(data) and body == b""

    @checks.run
    def wrong_digest_is_digest_invalid_and_leaves_nothing():
        status, headers, _ = reg.call("POST", "/v2/proto/a/blobs/uploads/")
        claimed = digest(b"something else")
        status, _, reply = reg.call("PUT", headers["Location"] + "?digest=" + claimed, b"actual bytes")
        assert status == 400 and error_code(reply) == "DIGEST_INVALID", (status, reply)
        status, _, _ = reg.call("HEAD", f"/v2/proto/a/blobs/{claimed}")
        assert status == 404

    @checks.run
    def manifest_with_missing_blob_is_refused():
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                          "digest": digest(b"absent"), "size": 6}, "layers": []}).encode()
        status, _, reply = reg.call("PUT", "/v2/proto/a/manifests/broken", manifest,
                                    {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        assert status == 400 and error_code(reply) == "MANIFEST_BLOB_UNKNOWN", (status, reply)
        status, _, reply = reg.call("PUT", "/v2/proto/a/manifests/broken", b"{not json",
                                    {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        assert status == 400 and error_code(reply) == "MANIFEST_INVALID", (status, reply)

    @checks.run
    def blobs_are_per_repository_until_mounted():
        d = reg.push_blob("proto/a", b"layer to share")
        assert reg.call("HEAD", f"/v2/proto/b/blobs/{d}")[0] == 404
        status, headers, _ = reg.call("POST", f"/v2/proto/b/blobs/uploads/?mount={d}&from=proto/a")
        assert status == 201 and headers["Docker-Content-Digest"] == d, status
        assert reg.call("HEAD", f"/v2/proto/b/blobs/{d}")[0] == 200

    @checks.run
    def manifests_served_as_pushed_and_tags_paginate():
        for i in range(5):
            status, headers, _, d = reg.push_image("proto/a", f"t{i}", f"layer {i}".encode())
            assert status == 201 and headers["Docker-Content-Digest"] == d
        status, headers, body = reg.call("GET", "/v2/proto/a/manifests/t3",
                                         headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        assert status == 200 and headers["Content-Type"] == "application/vnd.oci.image.manifest.v1+json"
        assert headers["Docker-Content-Digest"] == digest(body)
        status, headers, body = reg.call("GET", "/v2/proto/a/tags/list?n=2")
        assert json.loads(body)["tags"] == ["t0", "t1"] and 'rel="next"' in headers["Link"], headers
        status, headers, body = reg.call("GET", "/v2/proto/a/tags/list?n=2&last=t1")
        assert json.loads(body)["tags"] == ["t2", "t3"]
        status, _, body = reg.call("GET", "/v2/_catalog")
        assert json.loads(body)["repositories"] == ["proto/a", "proto/b", "proto/immutable"], body
        status, _, body = reg.call("GET", "/v2/_catalog?n=1&last=proto/a")
        assert json.loads(body)["repositories"] == ["proto/b"], body

    @checks.run
    def delete_by_tag_and_digest():
        status, _, _, d = reg.push_image("proto/a", "doomed", b"doomed layer")
        assert reg.call("DELETE", f"/v2/proto/a/manifests/{d}")[0] == 202
        assert reg.call("GET", "/v2/proto/a/manifests/doomed")[0] == 404

    @checks.run
    def immutable_tags_refuse_a_new_image():
        status, _, _, first = reg.push_image("proto/immutable", "v1", b"one")
        assert status == 201
        status, _, reply, _ = reg.push_image("proto/immutable", "v1", b"two")
        assert status == 400 and error_code(reply) == "TAG_INVALID", (status, reply)
        status, _, _, again = reg.push_image("proto/immutable", "v1", b"one")
        assert status == 201 and again == first  # the same image again is fine

    @checks.run
    def referrers_list_manifests_by_subject():
        status, _, _, subject = reg.push_image("proto/a", "base", b"base layer")
        manifest_size = len(reg.call("GET", "/v2/proto/a/manifests/base")[2])
        status, headers, _, sig = reg.push_image(
            "proto/a", "sig", b"signature", {"artifactType": "application/vnd.example.signature",
                                              "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                          "digest": subject, "size": manifest_size}})
        assert status == 201 and headers.get("OCI-Subject") == subject, headers
        status, headers, body = reg.call("GET", f"/v2/proto/a/referrers/{subject}")
        index = json.loads(body)
        assert [m["digest"] for m in index["manifests"]] == [sig], index
        assert index["manifests"][0]["artifactType"] == "application/vnd.example.signature"
        status, headers, body = reg.call("GET", f"/v2/proto/a/referrers/{subject}?artifactType=other")
        assert json.loads(body)["manifests"] == [] and headers.get("OCI-Filters-Applied") == "artifactType"

    @checks.run
    def hostile_inputs_are_refused_and_the_server_lives_on():
        bad = Registry(server, "x")
        bad.auth = "Basic ===="
        assert bad.call("GET", "/v2/")[0] == 401
        config = reg.push_blob("proto/a", b"{}")
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                          "digest": config, "size": 1.5}, "layers": []}).encode()
        status, _, reply = reg.call("PUT", "/v2/proto/a/manifests/fraction", manifest,
                                    {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        assert status == 400 and error_code(reply) == "MANIFEST_INVALID", (status, reply)
        status, _, reply, _ = reg.push_image("proto/a", "!" * 300, b"long tag")
        assert status == 400 and error_code(reply) == "TAG_INVALID", (status, reply)
        # An unauthenticated upload is refused before its body is spooled.
        import socket
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(b"PATCH /v2/proto/a/blobs/uploads/x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (1 << 30))
            s.sendall(b"z" * 65536)
            reply = s.recv(4096).decode(errors="replace")
        assert reply.startswith("HTTP/1.1 413"), reply
        assert reg.call("GET", "/v2/")[0] == 200

    @checks.run
    def ecr_layer_upload_calls_and_put_image():
        layer = b"pushed through the ECR API" * 100
        upload = ecr.initiate_layer_upload(repositoryName="proto/b")
        ecr.upload_layer_part(repositoryName="proto/b", uploadId=upload["uploadId"], partFirstByte=0,
                              partLastByte=len(layer) - 1, layerPartBlob=layer)
        done = ecr.complete_layer_upload(repositoryName="proto/b", uploadId=upload["uploadId"],
                                         layerDigests=[digest(layer)])
        assert done["layerDigest"] == digest(layer)
        avail = ecr.batch_check_layer_availability(repositoryName="proto/b",
                                                   layerDigests=[digest(layer), digest(b"nope")])["layers"]
        assert [l["layerAvailability"] for l in avail] == ["AVAILABLE", "UNAVAILABLE"], avail
        url = ecr.get_download_url_for_layer(repositoryName="proto/b", layerDigest=digest(layer))["downloadUrl"]
        with urllib.request.urlopen(url, timeout=5) as r:  # no credentials but the URL's own
            assert r.read() == layer
        config = b"{}"
        ecr_upload = ecr.initiate_layer_upload(repositoryName="proto/b")["uploadId"]
        ecr.upload_layer_part(repositoryName="proto/b", uploadId=ecr_upload, partFirstByte=0, partLastByte=1,
                              layerPartBlob=config)
        ecr.complete_layer_upload(repositoryName="proto/b", uploadId=ecr_upload, layerDigests=[digest(config)])
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                               "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                          "digest": digest(config), "size": 2},
                               "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                                           "digest": digest(layer), "size": len(layer)}]})
        image = ecr.put_image(repositoryName="proto/b", imageManifest=manifest, imageTag="via-api")["image"]
        assert image["imageId"]["imageDigest"] == digest(manifest.encode())
        expect_client_error(lambda: ecr.put_image(repositoryName="proto/b", imageManifest=manifest, imageTag="via-api"),
                            "ImageAlreadyExistsException")
        got = ecr.batch_get_image(repositoryName="proto/b", imageIds=[{"imageTag": "via-api"}, {"imageTag": "ghost"}])
        assert got["images"][0]["imageManifest"] == manifest
        assert got["failures"][0]["failureCode"] == "ImageNotFound"
        status, headers, _ = reg.call("GET", "/v2/proto/b/manifests/via-api")
        assert status == 200 and headers["Content-Type"] == "application/vnd.docker.distribution.manifest.v2+json"

    @checks.run
    def ecr_repository_errors_and_policies():
        expect_client_error(lambda: ecr.create_repository(repositoryName="proto/a"), "RepositoryAlreadyExistsException")
        expect_client_error(lambda: ecr.describe_repositories(repositoryNames=["ghost"]), "RepositoryNotFoundException")
        expect_client_error(lambda: ecr.create_repository(repositoryName="Bad_Name"), "InvalidParameterException")
        expect_client_error(lambda: ecr.delete_repository(repositoryName="proto/a"), "RepositoryNotEmptyException")
        expect_client_error(lambda: ecr.get_lifecycle_policy(repositoryName="proto/a"), "LifecyclePolicyNotFoundException")
        policy = json.dumps({"rules": [{"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                                                         "countNumber": 100}, "action": {"type": "expire"}}]})
        ecr.set_repository_policy(repositoryName="proto/a", policyText=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "pull", "Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage"]}]}))
        expect_client_error(lambda: ecr.set_repository_policy(repositoryName="proto/a", policyText='{"Statement": [{}]}'),
                            "InvalidParameterException", "Invalid repository policy provided")
        assert "Statement" in ecr.get_repository_policy(repositoryName="proto/a")["policyText"]
        ecr.start_lifecycle_policy_preview(repositoryName="proto/a", lifecyclePolicyText=policy)
        preview = ecr.get_lifecycle_policy_preview(repositoryName="proto/a")
        assert preview["status"] == "COMPLETE" and preview["summary"]["expiringImageTotalCount"] == 0
        bad = json.dumps({"rules": [{"rulePriority": 1, "description": "tagged without a prefix list",
                                     "selection": {"tagStatus": "tagged", "countType": "imageCountMoreThan",
                                                   "countNumber": 1}, "action": {"type": "expire"}}]})
        expect_client_error(lambda: ecr.put_lifecycle_policy(repositoryName="proto/a", lifecyclePolicyText=bad),
                            "InvalidParameterException", "Lifecycle policy validation failure")
        arn = ecr.describe_repositories(repositoryNames=["proto/a"])["repositories"][0]["repositoryArn"]
        ecr.tag_resource(resourceArn=arn, tags=[{"Key": "team", "Value": "blue"}])
        assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "team", "Value": "blue"}]
        assert ecr.delete_repository(repositoryName="proto/a", force=True)["repository"]["repositoryName"] == "proto/a"
        status, _, reply = reg.call("GET", "/v2/proto/a/tags/list")
        assert status == 404 and error_code(reply) == "NAME_UNKNOWN"

checks.finish()
