// The task assignment message: what the server tells an agent about one task placed on its
// node (the assignment feed, GET /_wharf/agent/v2/tasks, docs/AGENT.md). It is the agent's
// contract with the server, not the server's stored record: the record's private "_wharf"
// part stays on the server, and the agent gets the pieces it acts on, typed.
//
// Wire form (one JSON object per task):
//   {"taskArn", "desiredStatus", "networkMode", "node", "containerInstanceId" (EC2 only),
//    "eni": {"subnetId", "vpcId", "cidr", "ip", "gateway", "securityGroups": [sg-id...],
//            "dnsServer" (the VPC resolver's address, when its DNS support is on),
//            "publicIp", "outsideAddress", "pullsFrom", "endpointServices" (controlplane/vpc_egress.h)} (awsvpc only;
//            "vpcId" absent for a task placed before nodes isolated VPCs),
//    "task": <the Task shape as DescribeTasks shows it>,
//    "taskDefinition": <the TaskDefinition shape it runs>}
// and the feed's answer is {"revision": R, "assignments": [<assignment>...],
//   "securityGroups": [...], "groupMembers": [...]}: the rules of the groups the node's ENIs
// are in and the members of the groups those rules name (model/security_group.h), once per
// answer rather than per task, since a node's tasks share their groups.
//
// FromJson is where the agent checks what the server sent: a malformed message is an
// InvalidArgument error, never a half-read task. Pure; thread-compatible values.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/security_group.h"
#include "model/vpc_dns.h"
#include "model/task.h"

namespace wharf::model {

struct TaskAssignment {
  // An awsvpc task's interface, as the server allocated it.
  struct Eni {
    std::string subnet_id;
    std::string vpc_id;   // its subnet's VPC: the node's routing domain for it; may be empty
    std::string cidr;     // the subnet's, e.g. 10.0.1.0/24
    std::string ip;       // the task's address in it
    std::string gateway;  // the subnet's router, its first address
    std::vector<std::string> security_groups;  // the ENI's groups (sg-...), enforced by the node
    bool egress = false;  // its VPC routes 0.0.0.0/0 to an internet or NAT gateway
    std::string dns_server{};  // the VPC's resolver, base + 2 (resolv.conf names it); "": the host's
    // Its public address (assignPublicIp ENABLED), which the node forwards to it: "" when none.
    std::string public_ip{};
    // The source address its packets leave the VPC with: its public address in a subnet routed
    // to an internet gateway, the NAT gateway's elastic IP in one routed to a NAT gateway; ""
    // when it reaches nothing outside (as a task without a public address in a public subnet).
    // Decided by the server on every answer, so a route change reaches running tasks.
    std::string outside_address{};
    // What a Fargate task's image pull reaches through it (controlplane::PullReach): "any"
    // registry, "ecr" through its VPC's endpoints only, "" nothing (agent/pull_path.h).
    std::string pulls_from{};
    // The AWS services its VPC's endpoints reach from it (controlplane::EndpointServices):
    // where a Fargate task without a way out fetches its secrets (agent/pull_path.h).
    std::vector<std::string> endpoint_services{};
    // Its VPC's available interface endpoints (controlplane::EndpointInterfaces), every one:
    // their own vpce-... names answer in any VPC, so the node routes and redirects them all.
    // `address`: its interface in the ENI's subnet when it has one there; whether its security
    // groups admit the ENI on 443. The node redirects the admitted ones to the server
    // (agent/network/egress.h); any other connection there times out, as on AWS.
    struct Endpoint {
      std::string service;  // "ecr.dkr", "ecr.api", "secretsmanager", ...
      std::string address;
      bool admitted = false;
      // All its interfaces' addresses (its DNS names answer each): the node routes and
      // redirects them all; `address` is the one the agent's own calls dial.
      std::vector<std::string> addresses{};
      // Its id: an endpoint replaced at the same address is another one, whose predecessor's
      // connections end (agent/network/egress.h EndpointsGone).
      std::string vpc_endpoint_id{};
      // Whether the service's private DNS name answers this endpoint in the VPC (private DNS
      // on, the VPC's DNS attributes on, the lowest id of its service's): where the task's and
      // the agent's calls to `service` go.
      bool private_dns = false;
      bool operator==(const Endpoint&) const = default;
    };
    std::vector<Endpoint> endpoints{};
    // The address its calls to `service` go to: the endpoint its private DNS name answers;
    // "" when none does.
    std::string EndpointAddress(std::string_view service) const;
    bool operator==(const Eni&) const = default;
  };

  std::string task_arn;
  std::string desired_status;  // RUNNING, PENDING or STOPPED: what the agent is to make true
  std::string network_mode;    // awsvpc, bridge, host or none
  std::string node;            // the EC2 instance id of the node that runs it
  std::string container_instance_id;  // EC2 launch type; empty for FARGATE
  std::optional<Eni> eni;             // set exactly when network_mode is awsvpc
  boost::json::object task;             // the Task shape, without the server's "_wharf" part
  boost::json::object task_definition;  // the TaskDefinition shape

  // The last segment of the ARN.
  std::string task_id() const;

  boost::json::object ToJson() const;
  // InvalidArgument naming what is missing or mistyped.
  static Result<TaskAssignment> FromJson(const boost::json::object& message);

  bool operator==(const TaskAssignment&) const = default;
};

// What the server's record of a task tells its node.
TaskAssignment AssignmentOf(const TaskRecord& record);

// The feed's answer: the node's tasks at store revision `revision`.
struct TaskAssignments {
  int64_t revision = 0;
  std::vector<TaskAssignment> assignments;
  NodeSecurity security;  // for the awsvpc ENIs among them
  std::vector<VpcDnsTable> vpc_dns;  // the names of their VPCs with DNS support (model/vpc_dns.h)

  boost::json::object ToJson() const;
  // InvalidArgument when the answer or any assignment in it is malformed.
  static Result<TaskAssignments> FromJson(const boost::json::object& answer);

  bool operator==(const TaskAssignments&) const = default;
};

}  // namespace wharf::model
