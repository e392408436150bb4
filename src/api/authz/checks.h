// The authorization table: for each operation wharf serves, the IAM actions on the resource
// ARNs (with the service condition keys) that must be allowed before it runs, as the AWS
// Service Authorization Reference lists them. The front door evaluates each Check with
// iam::Evaluate (docs/IAM_POLICY.md, "Which action each operation needs").
//
// Pure: no store, no clock, no I/O. ARNs are built from the request input alone, so what
// only the stored record knows (a task definition's latest revision, an IAM user's path,
// resource tags) is approximated; each approximation is named where it is made and listed
// in docs/IAM_POLICY.md. Thread-safe; the tables are constant.
#pragma once

#include <boost/json/object.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wharf::api::authz {

// Where the request's resources live: the region of its credential scope and the account.
struct Scope {
  std::string_view region;
  std::string_view account;
  // The IAM user signing the request, when it is one. IAM operations whose UserName defaults
  // to the caller (GetUser, CreateAccessKey, ...) act on this user; empty: not known.
  std::string_view user_name = {};
};

struct Check {
  std::string action;                 // "ecs:DescribeServices"
  std::string resource = "*";         // one resource ARN, or "*"
  // Service condition keys, e.g. {"ecs:cluster", "arn:aws:ecs:us-east-1:000000000000:cluster/default"},
  // {"iam:PassedToService", "ecs-tasks.amazonaws.com"}. A key given several times (aws:TagKeys,
  // ecs:container-instances) is one multivalued key.
  std::vector<std::pair<std::string, std::string>> keys;

  bool operator==(const Check&) const = default;
};

// Every (action, resource) pair the operation needs allowed, in the order AWS checks them.
// `service` is the SigV4 signing name: "ecs", "elasticloadbalancing", "ecr", "logs", "ec2",
// "iam", "sts". An operation with several resources (DescribeServices with 3 services) gives
// one Check per resource. An operation the table does not know gives {"<prefix>:<Operation>", "*"}.
// An empty result means no permission is needed (sts:GetCallerIdentity).
std::vector<Check> ChecksFor(std::string_view service, std::string_view operation,
                             const boost::json::object& input, const Scope& scope);

// The OCI registry (docker push/pull on /v2/): the ECR actions a registry request needs.
// `path` is the request target ("/v2/<repository>/manifests/latest", a query string allowed).
// GET/HEAD manifests -> ecr:BatchGetImage; GET blobs -> ecr:GetDownloadUrlForLayer; HEAD blobs
// -> ecr:BatchCheckLayerAvailability; POST/PATCH/PUT uploads -> ecr:InitiateLayerUpload /
// ecr:UploadLayerPart / ecr:CompleteLayerUpload; PUT manifests -> ecr:PutImage; DELETE ->
// ecr:BatchDeleteImage; tags/list -> ecr:ListImages; _catalog -> ecr:DescribeRepositories.
// The /v2/ ping needs no action (only a valid token from ecr:GetAuthorizationToken): empty.
// Anything else (an unknown path, a method a path does not take) needs "ecr:*" itself.
std::vector<Check> RegistryChecks(std::string_view method, std::string_view path, const Scope& scope);

// The operations the table knows for a signing name, sorted; empty for an unknown service.
// For tests and for the front door to check at start that every served operation is covered.
std::vector<std::string_view> KnownOperations(std::string_view service);

// The IAM action prefix of a signing name: "elasticloadbalancing" for ELBv2, the name itself
// otherwise.
std::string_view ActionPrefix(std::string_view service);

}  // namespace wharf::api::authz
