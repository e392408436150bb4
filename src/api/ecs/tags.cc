// TagResource, UntagResource, ListTagsForResource on clusters and task definitions.
// Tags live inside the resource's own record ("tags" of a cluster, of a revision record).
#include <boost/json/array.hpp>

#include "api/ecs/common.h"
#include "api/ecs/handlers.h"

namespace wharf::api::ecs {
namespace json = boost::json;

Result<std::optional<StoredRecord>> ReadTaskDefinitionRecord(
    const EcsDeps& deps, std::string_view arn, std::string& key);  // task_definitions.cc

namespace {

// Where a resource's tags are: its key and the tag list inside its record.
struct Tagged {
  std::string key;
  json::object record;
  int64_t mod_revision = 0;
  bool is_cluster = false;
};

std::variant<Tagged, AwsError> Resolve(const EcsDeps& deps, std::string_view arn) {
  std::string prefix = "arn:aws:ecs:" + deps.region + ":" + deps.account_id + ":";
  if (arn.substr(0, prefix.size()) != prefix) return InvalidParameter("The ARN provided is invalid.");
  std::string_view resource = arn.substr(prefix.size());
  if (resource.substr(0, 8) == "cluster/") {
    std::string name(resource.substr(8));
    auto found = ReadRecord(deps.store, ClusterKey(name));
    if (!found.ok()) return EcsError(found.status());
    if (!*found || GetString((*found)->value, "status") != "ACTIVE") return ClusterNotFound();
    return Tagged{ClusterKey(name), std::move((*found)->value), (*found)->mod_revision, true};
  }
  if (resource.substr(0, 16) == "task-definition/") {
    std::string key;
    auto found = ReadTaskDefinitionRecord(deps, arn, key);
    if (!found.ok()) return EcsError(found.status());
    if (!*found) {
      return AwsError::Client("ResourceNotFoundException", "The specified resource wasn't found.");
    }
    return Tagged{key, std::move((*found)->value), (*found)->mod_revision, false};
  }
  for (std::string_view kind : {"service/", "task/", "container-instance/", "capacity-provider/",
                                "task-set/"}) {
    if (resource.substr(0, kind.size()) == kind) {
      return AwsError::Client("ResourceNotFoundException", "The specified resource wasn't found.");
    }
  }
  return InvalidParameter("The ARN provided is invalid.");
}

Outcome Retag(const EcsDeps& deps, std::string_view arn,
              const std::function<void(json::array&)>& change) {
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    auto resolved = Resolve(deps, arn);
    if (auto* err = std::get_if<AwsError>(&resolved)) return *err;
    Tagged& t = std::get<Tagged>(resolved);
    if (!t.record["tags"].is_array()) t.record["tags"] = json::array();
    change(t.record["tags"].as_array());
    if (t.record["tags"].as_array().size() > 50) {
      return InvalidParameter("A resource can have at most 50 tags.");
    }
    ASSIGN_OR_FAIL(auto r,
                   deps.store.Commit(store::Txn{{store::Compare{t.key, t.mod_revision}},
                                                {store::Op::Put(t.key, Serialize(t.record))}}),
                   EcsError);
    if (!r.succeeded) return store::kConflict;
    return json::object{};
  }).value_or(AwsError::Server("ServerException", "Too many concurrent updates; retry."));
}

}  // namespace

std::optional<AwsError> CheckTags(const json::array& tags) {
  for (const auto& t : tags) {
    std::string key = GetString(t.as_object(), "key");
    if (key.empty()) return InvalidParameter("Tag keys must not be empty.");
    if (key.compare(0, 4, "aws:") == 0) {
      return InvalidParameter("Tag keys beginning with 'aws:' are reserved for AWS use.");
    }
  }
  return std::nullopt;
}

void MergeTags(json::array& into, const json::array& tags) { MergeByKey(into, tags, "key"); }

Outcome TagResource(const EcsDeps& deps, const RequestContext&, object& in) {
  const json::array& tags = GetArray(in, "tags");
  if (auto err = CheckTags(tags)) return *err;
  return Retag(deps, GetString(in, "resourceArn"), [&](json::array& existing) { MergeTags(existing, tags); });
}

Outcome UntagResource(const EcsDeps& deps, const RequestContext&, object& in) {
  const json::array& keys = GetArray(in, "tagKeys");
  return Retag(deps, GetString(in, "resourceArn"), [&](json::array& existing) {
    json::array kept;
    for (const auto& t : existing) {
      bool drop = false;
      for (const auto& k : keys) drop = drop || k.get_string() == GetString(t.as_object(), "key");
      if (!drop) kept.push_back(t);
    }
    existing = std::move(kept);
  });
}

ResourceTags ResourceTagsOf(const EcsDeps& deps, std::string_view arn) {
  std::string prefix = "arn:aws:ecs:" + deps.region + ":" + deps.account_id + ":";
  if (!arn.starts_with(prefix)) return {};
  std::string_view resource = arn.substr(prefix.size());
  std::string key;
  Result<std::optional<StoredRecord>> found = std::optional<StoredRecord>();
  // <type>/<cluster>/<id>: the ARN form ECS uses since the long ARN format.
  auto in_cluster = [&](std::string_view type, auto make_key) {
    std::string_view rest = resource.substr(type.size());
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return;
    found = ReadRecord(deps.store, make_key(rest.substr(0, slash), rest.substr(slash + 1)));
  };
  if (resource.starts_with("cluster/")) {
    found = ReadRecord(deps.store, ClusterKey(resource.substr(8)));
  } else if (resource.starts_with("task-definition/")) {
    found = ReadTaskDefinitionRecord(deps, arn, key);
  } else if (resource.starts_with("service/")) {
    in_cluster("service/", [](std::string_view c, std::string_view id) { return model::keys::ServiceKey(c, id); });
  } else if (resource.starts_with("task/")) {
    in_cluster("task/", [](std::string_view c, std::string_view id) { return model::keys::TaskKey(c, id); });
  } else if (resource.starts_with("container-instance/")) {
    in_cluster("container-instance/",
               [](std::string_view c, std::string_view id) { return model::keys::ContainerInstanceKey(c, id); });
  }
  if (!found.ok() || !*found) return {};
  return TagPairs(GetArray((*found)->value, "tags"), "key", "value");
}

Outcome ListTagsForResource(const EcsDeps& deps, const RequestContext&, object& in) {
  auto resolved = Resolve(deps, GetString(in, "resourceArn"));
  if (auto* err = std::get_if<AwsError>(&resolved)) return *err;
  return json::object{{"tags", GetArray(std::get<Tagged>(resolved).record, "tags")}};
}

}  // namespace wharf::api::ecs
