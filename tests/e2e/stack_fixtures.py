"""What the CloudFormation tests read of a stack."""
import time


def settled_stack(cfn, name, timeout=60):
    """The stack once no operation is in progress on it (DescribeStacks every 0.2 s)."""
    deadline = time.time() + timeout
    while True:
        s = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not s["StackStatus"].endswith("_IN_PROGRESS"):
            return s
        if time.time() > deadline:
            raise AssertionError(f"{name} still {s['StackStatus']}")
        time.sleep(0.2)


def stack_resource_ids(cfn, name):
    """{logical id: physical id} of the stack's resources."""
    return {r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cfn.describe_stack_resources(StackName=name)["StackResources"]}
