// Amazon ECR (prefix ecr). One resource type, the repository:
//   arn:aws:ecr:<region>:<registryId>:repository/<name>
// where registryId, when the request names one, is the registry's account. Registry-wide
// operations (GetAuthorizationToken) have no resource type ("*").
#include <boost/json/object.hpp>

#include "api/authz/request.h"

namespace wharf::api::authz {

namespace {

std::string RepositoryArn(const Request& r, std::string_view name) {
  return r.Arn("ecr", "repository/" + std::string(name), r.Str("registryId"));
}

void OnRepository(Request& r, std::string_view action) { r.Need(action, RepositoryArn(r, r.Str("repositoryName"))); }

void CreateRepository(Request& r) {
  std::string arn = RepositoryArn(r, r.Str("repositoryName"));
  AddRequestTags(r.Need("CreateRepository", arn), r.Get("tags"));
  // Tags given at creation are also authorized as ecr:TagResource (a dependent action).
  if (HasTags(r.Get("tags"))) AddRequestTags(r.Need("TagResource", arn), r.Get("tags"));
}

// Without repositoryNames every repository of the registry is described: "*".
void DescribeRepositories(Request& r) {
  std::vector<std::string_view> names = r.Strs("repositoryNames");
  if (names.empty()) r.Need("DescribeRepositories");
  for (std::string_view n : names) r.Need("DescribeRepositories", RepositoryArn(r, n));
}

constexpr Entry kEntries[] = {
    {"CreateRepository", CreateRepository},
    {"DescribeRepositories", DescribeRepositories},
    {"DeleteRepository", [](Request& r) { OnRepository(r, "DeleteRepository"); }},
    {"PutImageTagMutability", [](Request& r) { OnRepository(r, "PutImageTagMutability"); }},
    {"PutImageScanningConfiguration", [](Request& r) { OnRepository(r, "PutImageScanningConfiguration"); }},
    {"SetRepositoryPolicy", [](Request& r) { OnRepository(r, "SetRepositoryPolicy"); }},
    {"GetRepositoryPolicy", [](Request& r) { OnRepository(r, "GetRepositoryPolicy"); }},
    {"DeleteRepositoryPolicy", [](Request& r) { OnRepository(r, "DeleteRepositoryPolicy"); }},
    {"TagResource",
     [](Request& r) { AddRequestTags(r.Need("TagResource", std::string(r.Str("resourceArn"))), r.Get("tags")); }},
    {"UntagResource",
     [](Request& r) { AddTagKeys(r.Need("UntagResource", std::string(r.Str("resourceArn"))), r.Get("tagKeys")); }},
    {"ListTagsForResource", [](Request& r) { r.Need("ListTagsForResource", std::string(r.Str("resourceArn"))); }},
    {"ListImages", [](Request& r) { OnRepository(r, "ListImages"); }},
    {"DescribeImages", [](Request& r) { OnRepository(r, "DescribeImages"); }},
    {"BatchGetImage", [](Request& r) { OnRepository(r, "BatchGetImage"); }},
    {"BatchDeleteImage", [](Request& r) { OnRepository(r, "BatchDeleteImage"); }},
    {"PutImage", [](Request& r) { OnRepository(r, "PutImage"); }},
    {"GetAuthorizationToken", [](Request& r) { r.Need("GetAuthorizationToken"); }},
    {"BatchCheckLayerAvailability", [](Request& r) { OnRepository(r, "BatchCheckLayerAvailability"); }},
    {"GetDownloadUrlForLayer", [](Request& r) { OnRepository(r, "GetDownloadUrlForLayer"); }},
    {"InitiateLayerUpload", [](Request& r) { OnRepository(r, "InitiateLayerUpload"); }},
    {"UploadLayerPart", [](Request& r) { OnRepository(r, "UploadLayerPart"); }},
    {"CompleteLayerUpload", [](Request& r) { OnRepository(r, "CompleteLayerUpload"); }},
    {"PutLifecyclePolicy", [](Request& r) { OnRepository(r, "PutLifecyclePolicy"); }},
    {"GetLifecyclePolicy", [](Request& r) { OnRepository(r, "GetLifecyclePolicy"); }},
    {"DeleteLifecyclePolicy", [](Request& r) { OnRepository(r, "DeleteLifecyclePolicy"); }},
    {"StartLifecyclePolicyPreview", [](Request& r) { OnRepository(r, "StartLifecyclePolicyPreview"); }},
    {"GetLifecyclePolicyPreview", [](Request& r) { OnRepository(r, "GetLifecyclePolicyPreview"); }},
};

}  // namespace

const ServiceTable kEcrTable = {
    "ecr", "ecr", [](std::string_view op, Request& r) { return RunEntry(kEntries, op, r); },
    [] { return EntryNames(kEntries); }};

// The OCI distribution API is ECR's own API in another shape: each registry request is
// authorized as the ECR action the docker client would otherwise have called.
std::vector<Check> RegistryChecks(std::string_view method, std::string_view path, const Scope& scope) {
  std::string_view query;
  if (size_t q = path.find('?'); q != std::string_view::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
  }
  boost::json::object none;
  Request r("ecr", none, scope);
  // A request this mapping does not know (a method a path does not take, a path that is not
  // the distribution API's) is never let through unchecked: it needs "ecr:*" itself, which
  // only a policy granting every ECR action allows.
  auto unknown = [&r](std::string resource) {
    r.Need("ecr:*", std::move(resource));
    return r.Take();
  };
  if (path == "/v2" || path == "/v2/") return {};  // the API version check: any valid token
  if (!path.starts_with("/v2/")) return unknown("*");
  path.remove_prefix(4);
  if (path == "_catalog") {
    r.Need("DescribeRepositories");
    return r.Take();
  }
  // <name>/<kind>/<rest>: the repository name may hold slashes, so the last kind wins.
  std::string_view kind, name;
  for (std::string_view k : {"/manifests/", "/blobs/uploads", "/blobs/", "/tags/list", "/referrers/"}) {
    size_t at = path.rfind(k);
    if (at == std::string_view::npos) continue;
    if (!kind.empty() && at <= name.size()) continue;
    name = path.substr(0, at);
    kind = k;
  }
  if (kind.empty() || name.empty()) return unknown("*");
  std::string arn = r.Arn("ecr", "repository/" + std::string(name));
  const bool read = method == "GET" || method == "HEAD";
  if (kind == "/manifests/" || kind == "/referrers/") {
    if (read) r.Need("BatchGetImage", arn);
    else if (method == "PUT") r.Need("PutImage", arn);
    else if (method == "DELETE") r.Need("BatchDeleteImage", arn);
  } else if (kind == "/blobs/uploads") {
    if (method == "POST") {
      r.Need("InitiateLayerUpload", arn);
      // POST ...?digest= is a monolithic upload: the whole layer in one request.
      if (query.find("digest=") != std::string_view::npos) {
        r.Need("UploadLayerPart", arn);
        r.Need("CompleteLayerUpload", arn);
      }
    } else if (method == "PUT") {
      r.Need("CompleteLayerUpload", arn);
    } else {
      // PATCH (a chunk), GET (the upload's progress), DELETE (cancel): the caller's own
      // upload session, continued.
      r.Need("UploadLayerPart", arn);
    }
  } else if (kind == "/blobs/") {
    if (method == "GET") r.Need("GetDownloadUrlForLayer", arn);
    else if (method == "HEAD") r.Need("BatchCheckLayerAvailability", arn);
    else if (method == "DELETE") r.Need("BatchDeleteImage", arn);
  } else if (kind == "/tags/list" && read) {
    r.Need("ListImages", arn);
  }
  std::vector<Check> checks = r.Take();
  return checks.empty() ? unknown(arn) : checks;
}

}  // namespace wharf::api::authz
