#!/usr/bin/env python3
"""Regenerates src/api/models/<service>.json from the newest botocore service models.

wharf validates requests and shapes responses from the AWS service models. Only the
machine-readable parts are kept (operations, shapes, types, constraints); the prose
documentation is dropped. Run with the Python whose botocore is newest:
    python3 scripts/gen-models.py
"""
import glob
import gzip
import json
import os
import sys

import botocore

SERVICES = ["ecs", "elbv2", "ecr", "logs", "sts"]
DROPPED = {"documentation", "documentationUrl", "examples", "deprecatedMessage"}


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROPPED}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main():
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    out_dir = os.path.join(os.path.dirname(__file__), "..", "src", "api", "models")
    for service in SERVICES:
        path = sorted(glob.glob(os.path.join(data, service, "*", "service-2.json*")))[-1]
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt") as f:
            model = strip(json.load(f))
        with open(os.path.join(out_dir, service + ".json"), "w") as f:
            json.dump(model, f, separators=(",", ":"))  # keeps the model's member order
        print(f"{service}: {len(model['operations'])} operations from botocore {botocore.__version__}")


if __name__ == "__main__":
    sys.exit(main())
