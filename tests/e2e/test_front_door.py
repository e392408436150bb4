#!/usr/bin/python3
"""The API front door with real clients: SigV4 accepted and refused as AWS does, protocol
errors, health, dev reset, and clean shutdown."""
import json
import time
import urllib.error
import urllib.request

from wharf_harness import Checks, WharfServer, expect_client_error

checks = Checks()


def post(server, body, headers):
    req = urllib.request.Request(server.endpoint + "/", data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


with WharfServer() as server:

    @checks.run
    def credentials_file_is_private_and_works():
        import os, stat
        mode = stat.S_IMODE(os.stat(os.path.join(server.data_dir, "credentials")).st_mode)
        assert mode == 0o600, oct(mode)
        assert server.aws("ecs", "list-clusters") == {"clusterArns": []}

    @checks.run
    def wrong_secret_is_refused():
        key, _ = server.credentials()
        p = server.aws("ecs", "list-clusters", check=False,
                       env=server.env(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY="wrong" * 8,
                                      AWS_SHARED_CREDENTIALS_FILE="/dev/null"))
        assert p.returncode != 0 and "InvalidSignatureException" in p.stderr, p.stderr

    @checks.run
    def unknown_key_is_refused_by_boto3():
        ecs = server.boto3("ecs", aws_access_key_id="AKIAUNKNOWNUNKNOWN00", aws_secret_access_key="x" * 40)
        e = expect_client_error(ecs.list_clusters, "UnrecognizedClientException",
                                "The security token included in the request is invalid")
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    @checks.run
    def no_auth_is_missing_token():
        status, body = post(server, "{}", {"X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters",
                                           "Content-Type": "application/x-amz-json-1.1"})
        assert status == 400, status
        assert json.loads(body)["__type"] == "MissingAuthenticationTokenException", body

    @checks.run
    def wrong_region_scope_is_refused():
        # Every AWS region is served (test_regions.py); a name that is none is refused.
        ecs = server.boto3("ecs", region_name="xx-nowhere-1")
        expect_client_error(ecs.list_clusters, "InvalidSignatureException", "valid region")

    @checks.run
    def query_protocol_errors_are_xml_403():
        sts = server.boto3("sts", aws_secret_access_key="wrong" * 8)
        e = expect_client_error(sts.get_caller_identity, "SignatureDoesNotMatch")
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        key, _ = server.credentials()
        # AWS answers the root user's UserId with the account id.
        assert server.boto3("sts").get_caller_identity()["UserId"] == "000000000000", key

    @checks.run
    def stale_signature_is_expired():
        import botocore.auth, botocore.awsrequest, botocore.credentials, datetime
        key, secret = server.credentials()
        req = botocore.awsrequest.AWSRequest(
            method="POST", url=server.endpoint + "/", data=b"{}",
            headers={"X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters",
                     "Content-Type": "application/x-amz-json-1.1"})
        signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "ecs", "us-east-1")
        old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
        import unittest.mock
        with unittest.mock.patch("botocore.auth.datetime") as fake:
            fake.datetime.utcnow.return_value = old
            fake.datetime.now.return_value = old
            fake.datetime.strptime = datetime.datetime.strptime
            signer.add_auth(req)
        status, body = post(server, "{}", dict(req.headers.items()))
        assert status == 400, (status, body)
        doc = json.loads(body)
        assert doc["__type"] == "InvalidSignatureException" and "Signature expired" in doc["message"], body

    @checks.run
    def unknown_operation_and_malformed_json():
        import botocore.auth, botocore.awsrequest, botocore.credentials
        key, secret = server.credentials()

        def signed(target, body):
            req = botocore.awsrequest.AWSRequest(
                method="POST", url=server.endpoint + "/", data=body.encode(),
                headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
            botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "ecs",
                                    "us-east-1").add_auth(req)
            return post(server, body, dict(req.headers.items()))

        status, body = signed("AmazonEC2ContainerServiceV20141113.NoSuchThing", "{}")
        assert status == 400 and json.loads(body)["__type"] == "UnknownOperationException", body
        status, body = signed("AmazonEC2ContainerServiceV20141113.ListClusters", "{not json")
        assert status == 400 and json.loads(body)["__type"] == "SerializationException", body
        status, body = signed("AmazonEC2ContainerServiceV20141113.ListClusters", '{"maxResults": "ten"}')
        assert status == 400 and json.loads(body)["__type"] == "SerializationException", body
        status, body = signed("AmazonEC2ContainerServiceV20141113.ListClusters", '{"maxResults": 1000}')
        assert status == 400 and json.loads(body)["__type"] == "InvalidParameterException", body

    @checks.run
    def odd_inputs_get_errors_and_the_server_lives_on():
        import botocore.auth, botocore.awsrequest, botocore.credentials
        key, secret = server.credentials()

        def signed(op, body):
            req = botocore.awsrequest.AWSRequest(
                method="POST", url=server.endpoint + "/", data=body.encode(),
                headers={"X-Amz-Target": "AmazonEC2ContainerServiceV20141113." + op,
                         "Content-Type": "application/x-amz-json-1.1"})
            botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "ecs",
                                    "us-east-1").add_auth(req)
            return post(server, body, dict(req.headers.items()))

        server.boto3("ecs").create_cluster(clusterName="odd")
        for op, body, code in [
            ("DescribeClusters", '{"clusters": [null]}', "SerializationException"),
            ("UpdateClusterSettings", '{"cluster": "odd", "settings": [{}]}', "InvalidParameterException"),
            ("RegisterTaskDefinition", '{"family": "f", "containerDefinitions": [{}]}', "ClientException"),
            ("CreateCluster", '{"tags": [{"value": "no key"}]}', "InvalidParameterException"),
        ]:
            status, reply = signed(op, body)
            assert status == 400 and json.loads(reply)["__type"] == code, (op, status, reply)
        assert server.aws("ecs", "list-clusters")["clusterArns"]

    @checks.run
    def oversized_body_is_refused():
        import socket
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (17 << 20))
            s.sendall(b"x" * 65536)
            reply = s.recv(4096).decode(errors="replace")
        assert reply.startswith("HTTP/1.1 413"), reply

    @checks.run
    def reset_is_only_for_dev():
        req = urllib.request.Request(server.endpoint + "/_wharf/reset", data=b"", method="POST")
        try:
            urllib.request.urlopen(req, timeout=5)
            raise AssertionError("reset answered without --dev")
        except urllib.error.HTTPError as e:
            assert e.code == 404, e.code

    @checks.run
    def a_service_wharf_does_not_run_is_named():
        import botocore.exceptions
        # SNS (Query) and EventBridge (JSON): the answer names the service and what is served.
        for service, call in (("sns", lambda c: c.list_topics()),
                              ("events", lambda c: c.list_rules())):
            client = server.boto3(service)
            try:
                call(client)
            except botocore.exceptions.ClientError as e:
                err = e.response["Error"]
                assert err["Code"] in ("InvalidAction", "UnknownOperationException"), err
                assert f"does not serve the {service} API" in err["Message"], err
                assert "ecs" in err["Message"], err
            else:
                raise AssertionError(f"{service} answered")

    @checks.run
    def sigterm_shuts_down_cleanly():
        server.stop()
        assert server.proc.returncode == 0, server.proc.returncode
        assert "msg=stopped" in server.read_log()

with WharfServer("--dev") as dev:

    @checks.run
    def dev_accepts_any_credentials_and_resets():
        ecs = dev.boto3("ecs", aws_access_key_id="AKIAANYTHING", aws_secret_access_key="anything")
        ecs.create_cluster(clusterName="before-reset")
        assert len(ecs.list_clusters()["clusterArns"]) == 1
        req = urllib.request.Request(dev.endpoint + "/_wharf/reset", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200
        assert ecs.list_clusters()["clusterArns"] == []
        # The admin key survives a reset.
        assert dev.aws("ecs", "list-clusters") == {"clusterArns": []}

    @checks.run
    def ready_within_a_second():
        # A fresh server answers its health check at once. The figure (tens of ms) is
        # bench/api_bench.py's "time to ready"; under ctest -j2 beside container tests it moves
        # by 100 ms, so this bound only catches a start that waits for something.
        import subprocess, tempfile, shutil
        from wharf_harness import WHARF, free_port
        d = tempfile.mkdtemp(prefix="wharf-ready-")
        port = free_port()
        try:
            t0 = time.monotonic()
            p = subprocess.Popen([WHARF, "server", "--data-dir", d, "--listen", f"127.0.0.1:{port}"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            elapsed = None
            while time.monotonic() - t0 < 5:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_wharf/health", timeout=1) as r:
                        if r.status == 200:
                            elapsed = time.monotonic() - t0
                            break
                except OSError:
                    time.sleep(0.002)
            p.kill()
            p.wait()
            assert elapsed is not None and elapsed < 1.0, f"ready after {elapsed}s"
        finally:
            shutil.rmtree(d, ignore_errors=True)

checks.finish()
