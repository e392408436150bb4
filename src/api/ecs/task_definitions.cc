// Task definitions: Register, Describe, List, ListFamilies, Deregister, Delete.
//
// Each revision is one record {"taskDefinition": {...}, "tags": [...]} under
// ecs/task-definitions/<family>/<revision>; ecs/task-definition-families/<family> keeps the
// last revision handed out (numbers are never reused, even after deletion) and the newest
// ACTIVE one, so describing a bare family reads two keys however long its history.
#include <algorithm>
#include <boost/json/array.hpp>

#include "api/ecs/common.h"
#include "api/ecs/handlers.h"
#include "api/ecs/task_definition_rules.h"
#include "controlplane/records.h"

namespace wharf::api::ecs {
namespace json = boost::json;

namespace {

using Reference = controlplane::TaskDefinitionReference;
using Revision = controlplane::TaskDefinitionRevision;

std::optional<Reference> ParseReference(std::string_view text) {
  return controlplane::ParseTaskDefinitionReference(text);
}

// The named revision, or the newest ACTIVE one for a bare family.
Result<std::optional<Revision>> Find(const EcsDeps& deps, const Reference& ref) {
  return controlplane::FindTaskDefinitionRevision(deps.store, ref);
}

// The newest ACTIVE revision of `family` other than `except`, or 0.
Result<int64_t> NewestActiveExcept(const EcsDeps& deps, const std::string& family, int64_t except) {
  ASSIGN_OR_RETURN(store::Page page, deps.store.List(TaskDefinitionPrefix(family), "", 0));
  for (auto it = page.items.rbegin(); it != page.items.rend(); ++it) {
    ASSIGN_OR_RETURN(json::object record, ParseObject(it->value));
    const json::object& td = GetObject(record, "taskDefinition");
    int64_t revision = GetInt(td, "revision").value_or(0);
    if (revision != except && GetString(td, "status") == "ACTIVE") return revision;
  }
  return int64_t{0};
}

// Every stored revision, parsed, in key order (family, then revision).
Result<std::vector<json::object>> AllRevisions(const EcsDeps& deps, std::string_view family) {
  ASSIGN_OR_RETURN(store::Page page, deps.store.List(TaskDefinitionPrefix(family), "", 0));
  std::vector<json::object> out;
  for (const auto& kv : page.items) {
    ASSIGN_OR_RETURN(json::object record, ParseObject(kv.value));
    out.push_back(GetObject(record, "taskDefinition"));
  }
  return out;
}

Outcome NotDescribable() { return ClientError("Unable to describe task definition."); }

std::string PageKey(const json::object& td) {
  return GetString(td, "family") + ":" + std::to_string(GetInt(td, "revision").value_or(0));
}

}  // namespace

Outcome RegisterTaskDefinition(const EcsDeps& deps, const RequestContext& ctx, object& in) {
  if (Status st = CheckTaskDefinition(in); !st.ok()) return EcsError(st);
  if (auto err = CheckTags(GetArray(in, "tags"))) return *err;
  const std::string family = GetString(in, "family");
  json::object td = NormalizeTaskDefinition(in);
  auto registered = store::Update(deps.store, [&](store::Draft& draft) -> store::Decision<Outcome> {
    ASSIGN_OR_FAIL(auto counter, GetRecord(draft, FamilyKey(family)), EcsError);
    int64_t revision = counter ? GetInt(*counter, "lastRevision").value_or(0) + 1 : 1;
    td["taskDefinitionArn"] = Arn(deps, "task-definition/" + family + ":" + std::to_string(revision));
    td["revision"] = revision;
    td["status"] = "ACTIVE";
    td["registeredAt"] = NowSeconds(deps);
    td["registeredBy"] = ctx.principal_arn;
    PutRecord(draft, FamilyKey(family), json::object{{"lastRevision", revision}, {"latestActive", revision}});
    PutRecord(draft, TaskDefinitionKey(family, revision), json::object{{"taskDefinition", td}, {"tags", GetArray(in, "tags")}});
    json::object out{{"taskDefinition", td}};
    if (!GetArray(in, "tags").empty()) out["tags"] = GetArray(in, "tags");
    return store::Commit(std::move(out));
  });
  ASSIGN_OR_FAIL(auto answer, std::move(registered), EcsError);
  return answer.value_or(AwsError::Server("ServerException", "Too many concurrent registrations; retry."));
}

Outcome DescribeTaskDefinition(const EcsDeps& deps, const RequestContext&, object& in) {
  auto ref = ParseReference(GetString(in, "taskDefinition"));
  if (!ref) return NotDescribable();
  ASSIGN_OR_FAIL(auto found, Find(deps, *ref), EcsError);
  if (!found) return NotDescribable();
  json::object out{{"taskDefinition", GetObject(found->record, "taskDefinition")}};
  for (const auto& inc : GetArray(in, "include")) {
    if (inc.is_string() && inc.get_string() == "TAGS") out["tags"] = GetArray(found->record, "tags");
  }
  return out;
}

Outcome ListTaskDefinitions(const EcsDeps& deps, const RequestContext&, object& in) {
  size_t page_size = 0;
  if (auto err = PageSize(in, 100, page_size)) return *err;
  std::string family = GetString(in, "familyPrefix");
  std::string status = GetString(in, "status", "ACTIVE");
  bool descending = GetString(in, "sort") == "DESC";
  ASSIGN_OR_FAIL(auto all, AllRevisions(deps, family), EcsError);
  std::vector<json::object> matching;
  for (auto& td : all) {
    if (!family.empty() && GetString(td, "family") != family) continue;
    if (GetString(td, "status") == status) matching.push_back(std::move(td));
  }
  auto less = [](const json::object& a, const json::object& b) {
    std::string fa = GetString(a, "family"), fb = GetString(b, "family");
    if (fa != fb) return fa < fb;
    return GetInt(a, "revision").value_or(0) < GetInt(b, "revision").value_or(0);
  };
  std::sort(matching.begin(), matching.end(), less);
  if (descending) std::reverse(matching.begin(), matching.end());
  size_t start = 0;
  if (Has(in, "nextToken")) {
    auto token = ReadNextToken(GetString(in, "nextToken"));
    if (!token) return InvalidParameter("Invalid nextToken.");
    while (start < matching.size() && PageKey(matching[start]) != *token) ++start;
    if (start < matching.size()) ++start;
  }
  json::array arns;
  size_t i = start;
  for (; i < matching.size() && arns.size() < page_size; ++i) {
    arns.push_back(json::value(GetString(matching[i], "taskDefinitionArn")));
  }
  json::object out{{"taskDefinitionArns", std::move(arns)}};
  if (i < matching.size()) out["nextToken"] = MakeNextToken(PageKey(matching[i - 1]));
  return out;
}

Outcome ListTaskDefinitionFamilies(const EcsDeps& deps, const RequestContext&, object& in) {
  size_t page_size = 0;
  if (auto err = PageSize(in, 100, page_size)) return *err;
  std::string prefix = GetString(in, "familyPrefix");
  std::string status = GetString(in, "status", "ACTIVE");
  ASSIGN_OR_FAIL(auto all, AllRevisions(deps, ""), EcsError);
  std::map<std::string, bool> families;  // family -> has an ACTIVE revision
  for (const auto& td : all) {
    std::string family = GetString(td, "family");
    if (family.compare(0, prefix.size(), prefix) != 0) continue;
    families[family] = families[family] || GetString(td, "status") == "ACTIVE";
  }
  std::string after;
  if (Has(in, "nextToken")) {
    auto token = ReadNextToken(GetString(in, "nextToken"));
    if (!token) return InvalidParameter("Invalid nextToken.");
    after = *token;
  }
  json::array names;
  std::string last;
  bool more = false;
  for (const auto& [family, active] : families) {
    if (!after.empty() && family <= after) continue;
    bool wanted = status == "ALL" || (status == "ACTIVE") == active;
    if (!wanted) continue;
    if (names.size() == page_size) {
      more = true;
      break;
    }
    names.push_back(json::value(family));
    last = family;
  }
  json::object out{{"families", std::move(names)}};
  if (more) out["nextToken"] = MakeNextToken(last);
  return out;
}

Outcome DeregisterTaskDefinition(const EcsDeps& deps, const RequestContext&, object& in) {
  auto ref = ParseReference(GetString(in, "taskDefinition"));
  if (!ref || !ref->revision) {
    return ClientError("Invalid revision number. Specify a task definition with family:revision or "
                       "its full ARN.");
  }
  std::string key = TaskDefinitionKey(ref->family, *ref->revision);
  auto deregistered = store::Update(deps.store, [&](store::Draft& draft) -> store::Decision<Outcome> {
    ASSIGN_OR_FAIL(auto record, GetRecord(draft, key), EcsError);
    if (!record) return ClientError("The specified task definition does not exist.");
    json::object& td = (*record)["taskDefinition"].as_object();
    if (GetString(td, "status") != "ACTIVE") return json::object{{"taskDefinition", td}};
    td["status"] = "INACTIVE";
    td["deregisteredAt"] = NowSeconds(deps);
    ASSIGN_OR_FAIL(auto family, GetRecord(draft, FamilyKey(ref->family)), EcsError);
    if (!family) return AwsError::Server("ServerException", "Task definition family record missing.");
    if (GetInt(*family, "latestActive").value_or(0) == *ref->revision) {
      ASSIGN_OR_FAIL((*family)["latestActive"], NewestActiveExcept(deps, ref->family, *ref->revision),
                     EcsError);
    }
    PutRecord(draft, key, *record);
    PutRecord(draft, FamilyKey(ref->family), *family);
    return store::Commit(json::object{{"taskDefinition", td}});
  });
  ASSIGN_OR_FAIL(auto answer, std::move(deregistered), EcsError);
  return answer.value_or(AwsError::Server("ServerException", "Too many concurrent updates; retry."));
}

Outcome DeleteTaskDefinitions(const EcsDeps& deps, const RequestContext&, object& in) {
  json::array deleted, failures;
  for (const auto& item : GetArray(in, "taskDefinitions")) {
    std::string text(item.get_string());
    auto ref = ParseReference(text);
    if (!ref || !ref->revision) {
      failures.push_back(json::object{{"arn", text},
                                      {"reason", "The specified task definition identifier is "
                                                 "invalid. Specify a valid name or ARN and try again."}});
      continue;
    }
    ASSIGN_OR_FAIL(auto found, Find(deps, *ref), EcsError);
    if (!found) {
      failures.push_back(json::object{{"arn", Arn(deps, "task-definition/" + ref->family + ":" +
                                                            std::to_string(*ref->revision))},
                                      {"reason", "The specified task definition does not exist. "
                                                 "Specify a valid account, family, revision and try again."}});
      continue;
    }
    json::object td = GetObject(found->record, "taskDefinition");
    if (GetString(td, "status") == "ACTIVE") {
      failures.push_back(json::object{{"arn", GetString(td, "taskDefinitionArn")},
                                      {"reason", "The specified task definition is still in ACTIVE "
                                                 "status. Please deregister the target and try again."}});
      continue;
    }
    // Nothing can still be using it (no tasks or services refer to it yet), so it goes now.
    ASSIGN_OR_FAIL(auto r,
                   deps.store.Commit(store::Txn{{store::Compare{found->key, found->mod_revision}},
                                                {store::Op::Delete(found->key)}}),
                   EcsError);
    if (!r.succeeded) {
      failures.push_back(json::object{{"arn", GetString(td, "taskDefinitionArn")},
                                      {"reason", "The task definition changed while it was being "
                                                 "deleted. Try again."}});
      continue;
    }
    td["status"] = "DELETE_IN_PROGRESS";
    deleted.push_back(std::move(td));
  }
  return json::object{{"taskDefinitions", std::move(deleted)}, {"failures", std::move(failures)}};
}

// Used by tags.cc.
Result<std::optional<StoredRecord>> ReadTaskDefinitionRecord(
    const EcsDeps& deps, std::string_view arn, std::string& key) {
  auto ref = ParseReference(arn);
  if (!ref || !ref->revision) return std::optional<StoredRecord>();
  key = TaskDefinitionKey(ref->family, *ref->revision);
  return ReadRecord(deps.store, key);
}

}  // namespace wharf::api::ecs

namespace wharf::api::ecs {

// Used by tasks.cc: "family", "family:rev" or an ARN -> the TaskDefinition shape.
Result<std::optional<json::object>> FindTaskDefinition(const EcsDeps& deps, std::string_view text) {
  return controlplane::FindTaskDefinition(deps.store, text);
}

}  // namespace wharf::api::ecs
