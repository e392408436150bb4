// Attributes: PutAttributes, DeleteAttributes, ListAttributes. Custom attributes of container
// instances (the only target type ECS has), which placement constraints read
// ("attribute:stack == prod"); ECS's own (ecs.os-type, ecs.instance-type, ...) are listed with them
// and cannot be changed.
#include <algorithm>
#include <boost/json/array.hpp>

#include "api/ecs/common.h"
#include "api/ecs/handlers.h"

namespace wharf::api::ecs {
namespace json = boost::json;

namespace {

constexpr size_t kMaxCustomAttributes = 10;  // per resource, as ECS limits them

// ECS's own attributes (ecs.os-type, com.amazonaws.ecs.capability.*): listed, never changed,
// and not counted against the limit.
bool OwnedByEcs(std::string_view name) {
  return name.rfind("ecs.", 0) == 0 || name.rfind("com.amazonaws.ecs.", 0) == 0;
}

bool ValidAttributeName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
  });
}

bool ValidAttributeValue(std::string_view value) {
  if (value.empty() || value.size() > 128) return false;
  return std::all_of(value.begin(), value.end(), [](char c) {
    return isalnum(static_cast<unsigned char>(c)) || std::string_view("-_.@/\\: ").find(c) != std::string_view::npos;
  });
}

// The request's attributes checked: names, values, target type and id.
std::optional<AwsError> CheckAttributes(const json::array& attributes, bool with_values) {
  if (attributes.empty() || attributes.size() > 10) return InvalidParameter("attributes must list between 1 and 10 attributes.");
  for (const auto& v : attributes) {
    const json::object& a = v.get_object();
    std::string name = GetString(a, "name");
    if (!ValidAttributeName(name)) {
      return InvalidParameter("Attribute name " + name +
                              " is not valid: up to 128 letters, numbers, hyphens, underscores, periods and slashes.");
    }
    if (OwnedByEcs(name)) return InvalidParameter("Attribute " + name + " is reserved for Amazon ECS.");
    if (with_values && Has(a, "value") && !ValidAttributeValue(GetString(a, "value"))) {
      return InvalidParameter("Attribute value of " + name + " is not valid.");
    }
    if (Has(a, "targetType") && GetString(a, "targetType") != "container-instance") {
      return InvalidParameter("targetType must be container-instance.");
    }
    if (GetString(a, "targetId").empty()) return InvalidParameter("targetId must be specified for attribute " + name + ".");
  }
  return std::nullopt;
}

using Change = void (*)(json::array& attributes, const json::object& attribute);

// Applies `change` to each named container instance, after checking they all exist (a
// request naming a missing target changes nothing).
Outcome ChangeAttributes(const EcsDeps& deps, object& in, bool with_values, Change change) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record || GetString(cluster_record->value, "status") != "ACTIVE") return ClusterNotFound();
  const json::array& attributes = GetArray(in, "attributes");
  if (auto err = CheckAttributes(attributes, with_values)) return *err;
  std::map<std::string, std::vector<const json::object*>> by_target;
  for (const auto& v : attributes) by_target[ShortId(GetString(v.get_object(), "targetId"))].push_back(&v.get_object());
  for (const auto& [id, _] : by_target) {
    ASSIGN_OR_FAIL(auto found, ReadRecord(deps.store, ContainerInstanceKey(cluster, id)), EcsError);
    if (!found || GetString(GetObject(found->value, "containerInstance"), "status") == "INACTIVE") {
      return AwsError::Client("TargetNotFoundException", "Could not find " + id + ".");
    }
  }
  for (const auto& target : by_target) {
    const std::string& id = target.first;  // named, not bound: lambdas capture it (clang 14)
    const std::vector<const json::object*>& changes = target.second;
    auto updated = UpdateRecord(deps.store, ContainerInstanceKey(cluster, id),
                                [&](std::optional<json::object>& record) -> store::Decision<std::optional<AwsError>> {
      if (!record) return std::optional<AwsError>(AwsError::Client("TargetNotFoundException", "Could not find " + id + "."));
      json::object& ci = (*record)["containerInstance"].as_object();
      json::array list = GetArray(ci, "attributes");
      for (const json::object* a : changes) change(list, *a);
      size_t custom = std::count_if(list.begin(), list.end(), [](const json::value& a) {
        return !OwnedByEcs(GetString(a.get_object(), "name"));
      });
      if (custom > kMaxCustomAttributes) {
        return std::optional<AwsError>(AwsError::Client(
            "AttributeLimitExceededException", "You can apply up to 10 custom attributes to each resource."));
      }
      ci["attributes"] = std::move(list);
      ci["version"] = GetInt(ci, "version").value_or(0) + 1;
      return store::Commit(std::optional<AwsError>());
    });
    ASSIGN_OR_FAIL(auto answer, std::move(updated), EcsError);
    if (!answer) return AwsError::Server("ServerException", "The container instance changed while it was updated; retry.");
    if (*answer) return **answer;
  }
  json::array echoed;
  for (const auto& v : attributes) {
    json::object a = v.get_object();
    a["targetType"] = "container-instance";
    echoed.push_back(std::move(a));
  }
  return json::object{{"attributes", std::move(echoed)}};
}

}  // namespace

Outcome PutAttributes(const EcsDeps& deps, const RequestContext&, object& in) {
  return ChangeAttributes(deps, in, true, [](json::array& list, const json::object& a) {
    json::object one{{"name", GetString(a, "name")}};
    if (Has(a, "value")) one["value"] = GetString(a, "value");
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const json::value& e) { return GetString(e.get_object(), "name") == GetString(a, "name"); });
    if (it != list.end()) {
      *it = std::move(one);
    } else {
      list.push_back(std::move(one));
    }
  });
}

Outcome DeleteAttributes(const EcsDeps& deps, const RequestContext&, object& in) {
  return ChangeAttributes(deps, in, false, [](json::array& list, const json::object& a) {
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const json::value& e) { return GetString(e.get_object(), "name") == GetString(a, "name"); }),
               list.end());
  });
}

Outcome ListAttributes(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(auto cluster_record, ReadRecord(deps.store, ClusterKey(cluster)), EcsError);
  if (!cluster_record) return ClusterNotFound();
  if (GetString(in, "targetType") != "container-instance") return InvalidParameter("targetType must be container-instance.");
  std::string name = GetString(in, "attributeName");
  std::string value = GetString(in, "attributeValue");
  if (!value.empty() && name.empty()) return InvalidParameter("attributeValue can only be given with attributeName.");
  size_t page_size = 0;
  if (auto err = PageSize(in, 100, page_size)) return *err;
  size_t start = 0;
  if (std::string token = GetString(in, "nextToken"); !token.empty()) {
    auto index = ReadNextToken(token);
    if (!index || index->empty() || !std::all_of(index->begin(), index->end(), ::isdigit)) {
      return InvalidParameter("Invalid nextToken.");
    }
    start = std::stoul(*index);
  }
  ASSIGN_OR_FAIL(store::Page page, deps.store.List(ContainerInstancesPrefix(cluster), "", 0), EcsError);
  json::array out;
  size_t seen = 0;
  bool more = false;
  for (const auto& kv : page.items) {
    ASSIGN_OR_FAIL(json::object record, ParseObject(kv.value), EcsError);
    const json::object& ci = GetObject(record, "containerInstance");
    if (GetString(ci, "status") == "INACTIVE") continue;
    for (const auto& v : GetArray(ci, "attributes")) {
      const json::object& a = v.get_object();
      if (!name.empty() && GetString(a, "name") != name) continue;
      if (!value.empty() && GetString(a, "value") != value) continue;
      if (seen++ < start) continue;
      if (out.size() == page_size) {
        more = true;
        break;
      }
      json::object shown = a;
      shown["targetType"] = "container-instance";
      shown["targetId"] = GetString(ci, "containerInstanceArn");
      out.push_back(std::move(shown));
    }
    if (more) break;
  }
  json::object result{{"attributes", std::move(out)}};
  if (more) result["nextToken"] = MakeNextToken(std::to_string(start + page_size));
  return result;
}

}  // namespace wharf::api::ecs
