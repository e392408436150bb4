// Container instances: RegisterContainerInstance (called by wharf agents),
// DeregisterContainerInstance, ListContainerInstances, DescribeContainerInstances,
// UpdateContainerInstancesState.
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "api/ecs/common.h"
#include "api/ecs/handlers.h"
#include "api/ecs/task_records.h"

namespace wharf::api::ecs {
namespace json = boost::json;

namespace {

Result<bool> ClusterIsActive(const EcsDeps& deps, const std::string& cluster) {
  ASSIGN_OR_RETURN(auto found, ReadRecord(deps.store, ClusterKey(cluster)));
  return found && GetString(found->value, "status") == "ACTIVE";
}

// The node's identity document as the agent sends it (JSON: instanceId, availabilityZone,
// instanceType, region), as the EC2 instance identity document is.
json::object IdentityDocument(const json::object& in) {
  boost::system::error_code ec;
  json::value doc = json::parse(GetString(in, "instanceIdentityDocument"), ec);
  return !ec && doc.is_object() ? doc.get_object() : json::object();
}

void SetAttribute(json::array& attributes, std::string_view name, std::string_view value) {
  json::array one{json::object{{"name", name}, {"value", value}}};
  MergeByKey(attributes, one, "name");
}

// "id" or an ARN -> the stored record and its revision.
Result<std::optional<StoredRecord>> FindInstance(const EcsDeps& deps,
                                                                    const std::string& cluster,
                                                                    std::string_view ref) {
  return ReadRecord(deps.store, ContainerInstanceKey(cluster, ShortId(ref)));
}

// The instance as shown, with agentConnected from the node's last poll.
json::object Show(const EcsDeps& deps, const json::object& record, const std::vector<json::object>& tasks) {
  json::object ci = PresentContainerInstance(record, tasks);
  if (deps.agent_connected && GetString(ci, "status") != "INACTIVE") {
    ci["agentConnected"] = deps.agent_connected(GetString(record, "node"));
  }
  return ci;
}

}  // namespace

Outcome RegisterContainerInstance(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(bool active, ClusterIsActive(deps, cluster), EcsError);
  if (!active) return ClusterNotFound();
  json::object doc = IdentityDocument(in);
  std::string node = GetString(doc, "instanceId");
  if (node.empty()) {
    return InvalidParameter("instanceIdentityDocument must carry the node's instanceId.");
  }
  std::string id = ShortId(GetString(in, "containerInstanceArn"));
  if (id.empty()) {
    // Re-registration of the same node in the same cluster keeps its container instance.
    ASSIGN_OR_FAIL(auto all, LoadContainerInstances(deps.store, cluster), EcsError);
    for (const auto& r : all) {
      const json::object& ci = GetObject(r, "containerInstance");
      if (GetString(r, "node") == node && GetString(ci, "status") != "INACTIVE") {
        id = ShortId(GetString(ci, "containerInstanceArn"));
      }
    }
  }
  if (id.empty()) id = RandomHex(deps.random, 32);
  auto registered = UpdateRecord(deps.store, ContainerInstanceKey(cluster, id),
                                 [&](std::optional<json::object>& existing) -> store::Decision<Outcome> {
    json::object ci = existing ? GetObject(*existing, "containerInstance") : json::object();
    ci["containerInstanceArn"] = Arn(deps, "container-instance/" + cluster + "/" + id);
    ci["ec2InstanceId"] = node;
    ci["version"] = GetInt(ci, "version").value_or(0) + 1;
    ci["versionInfo"] = GetObject(in, "versionInfo");
    ci["registeredResources"] = GetArray(in, "totalResources");
    if (GetString(ci, "status").empty() || GetString(ci, "status") == "INACTIVE") ci["status"] = "ACTIVE";
    ci["agentConnected"] = true;
    ci["agentUpdateStatus"] = "UPDATED";
    // Custom attributes (PutAttributes) outlive a node's re-registration; ECS's own are its.
    json::array attributes;
    for (const auto& a : GetArray(ci, "attributes")) {
      std::string name = GetString(a.get_object(), "name");
      if (name.rfind("ecs.", 0) != 0 && name.rfind("com.amazonaws.ecs.", 0) != 0) attributes.push_back(a);
    }
    MergeByKey(attributes, GetArray(in, "attributes"), "name");
    SetAttribute(attributes, "ecs.os-type", "linux");
    SetAttribute(attributes, "ecs.os-family", "LINUX");
    SetAttribute(attributes, "ecs.cpu-architecture", "x86_64");
    if (auto az = GetString(doc, "availabilityZone"); !az.empty()) SetAttribute(attributes, "ecs.availability-zone", az);
    if (auto type = GetString(doc, "instanceType"); !type.empty()) SetAttribute(attributes, "ecs.instance-type", type);
    ci["attributes"] = std::move(attributes);
    if (!Has(ci, "registeredAt")) ci["registeredAt"] = NowSeconds(deps);
    if (auto tags = CheckTags(GetArray(in, "tags"))) return *tags;
    json::array tags = GetArray(ci, "tags");
    MergeTags(tags, GetArray(in, "tags"));
    ci["tags"] = std::move(tags);
    existing = json::object{{"containerInstance", ci}, {"node", node}};
    return store::Commit(*existing);
  });
  ASSIGN_OR_FAIL(auto record, std::move(registered), EcsError);
  if (!record) return AwsError::Server("ServerException", "The container instance changed while registering; retry.");
  if (!record->ok()) return *record;
  ASSIGN_OR_FAIL(auto tasks, LoadTasks(deps.store, TasksPrefix(cluster)), EcsError);
  return json::object{{"containerInstance", PresentContainerInstance(record->output(), tasks)}};
}

Outcome DeregisterContainerInstance(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(bool active, ClusterIsActive(deps, cluster), EcsError);
  if (!active) return ClusterNotFound();
  std::string ref = GetString(in, "containerInstance");
  auto deregistered = UpdateRecord(deps.store, ContainerInstanceKey(cluster, ShortId(ref)),
                                   [&](std::optional<json::object>& record) -> store::Decision<Outcome> {
    if (!record || GetString(GetObject(*record, "containerInstance"), "status") == "INACTIVE") {
      return InvalidParameter("The referenced container instance " + ref + " is not active.");
    }
    ASSIGN_OR_FAIL(auto tasks, LoadTasks(deps.store, TasksPrefix(cluster)), EcsError);
    json::object ci = PresentContainerInstance(*record, tasks);
    if ((GetInt(ci, "runningTasksCount").value_or(0) + GetInt(ci, "pendingTasksCount").value_or(0)) > 0 &&
        !GetBool(in, "force").value_or(false)) {
      return InvalidParameter("Found running tasks on the instance.");
    }
    json::object& stored = (*record)["containerInstance"].as_object();
    stored["status"] = "INACTIVE";
    stored["agentConnected"] = false;
    stored["version"] = GetInt(stored, "version").value_or(0) + 1;
    return store::Commit(json::object{{"containerInstance", PresentContainerInstance(*record, tasks)}});
  });
  ASSIGN_OR_FAIL(auto answer, std::move(deregistered), EcsError);
  return answer.value_or(AwsError::Server("ServerException", "The container instance changed; retry."));
}

Outcome ListContainerInstances(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(bool active, ClusterIsActive(deps, cluster), EcsError);
  if (!active) return ClusterNotFound();
  size_t page_size = 0;
  if (auto err = PageSize(in, 100, page_size)) return *err;
  std::optional<controlplane::ContainerInstanceFilter> filter;
  if (std::string text = GetString(in, "filter"); !text.empty()) {
    auto q = controlplane::ContainerInstanceFilter::Parse(text);
    if (!q.ok()) return InvalidParameter(q.status().message());
    filter = std::move(q).value();
  }
  std::string status = GetString(in, "status");
  std::string after;
  if (std::string token = GetString(in, "nextToken"); !token.empty()) {
    auto key = ReadNextToken(token);
    if (!key) return InvalidParameter("Invalid nextToken.");
    after = *key;
  }
  ASSIGN_OR_FAIL(store::Page page, deps.store.List(ContainerInstancesPrefix(cluster), after, 0), EcsError);
  ASSIGN_OR_FAIL(auto tasks, LoadTasks(deps.store, TasksPrefix(cluster)), EcsError);
  json::array arns;
  std::string last;
  for (const auto& kv : page.items) {
    if (arns.size() == page_size) break;
    last = kv.key;
    ASSIGN_OR_FAIL(json::object record, ParseObject(kv.value), EcsError);
    json::object ci = Show(deps, record, tasks);
    std::string s = GetString(ci, "status");
    if (status.empty() ? s == "INACTIVE" : s != status) continue;
    if (filter && !filter->Matches(ci, tasks)) continue;
    arns.push_back(ci["containerInstanceArn"]);
  }
  json::object out{{"containerInstanceArns", std::move(arns)}};
  if (!last.empty() && last != page.items.back().key) out["nextToken"] = MakeNextToken(last);
  return out;
}

Outcome DescribeContainerInstances(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(bool active, ClusterIsActive(deps, cluster), EcsError);
  if (!active) return ClusterNotFound();
  bool with_tags = false;
  for (const auto& inc : GetArray(in, "include")) with_tags = with_tags || inc == "TAGS";
  ASSIGN_OR_FAIL(auto tasks, LoadTasks(deps.store, TasksPrefix(cluster)), EcsError);
  json::array instances, failures;
  for (const auto& v : GetArray(in, "containerInstances")) {
    std::string ref(v.get_string());
    ASSIGN_OR_FAIL(auto found, FindInstance(deps, cluster, ref), EcsError);
    if (!found) {
      std::string arn = ref.substr(0, 4) == "arn:" ? ref : Arn(deps, "container-instance/" + cluster + "/" + ref);
      failures.push_back(json::object{{"arn", arn}, {"reason", "MISSING"}});
      continue;
    }
    json::object ci = Show(deps, found->value, tasks);
    if (!with_tags) ci.erase("tags");
    instances.push_back(std::move(ci));
  }
  return json::object{{"containerInstances", std::move(instances)}, {"failures", std::move(failures)}};
}

Outcome UpdateContainerInstancesState(const EcsDeps& deps, const RequestContext&, object& in) {
  std::string cluster = ClusterName(GetString(in, "cluster"));
  ASSIGN_OR_FAIL(bool active, ClusterIsActive(deps, cluster), EcsError);
  if (!active) return ClusterNotFound();
  std::string status = GetString(in, "status");
  if (status != "ACTIVE" && status != "DRAINING") {
    return InvalidParameter("Container instance status can be set to ACTIVE or DRAINING.");
  }
  ASSIGN_OR_FAIL(auto tasks, LoadTasks(deps.store, TasksPrefix(cluster)), EcsError);
  json::array instances, failures;
  for (const auto& v : GetArray(in, "containerInstances")) {
    std::string ref(v.get_string());
    // The instance as shown after the change, or nullopt when it is missing.
    using Shown = std::optional<json::object>;
    auto updated = UpdateRecord(deps.store, ContainerInstanceKey(cluster, ShortId(ref)),
                                [&](std::optional<json::object>& record) -> store::Decision<Shown> {
      if (!record || GetString(GetObject(*record, "containerInstance"), "status") == "INACTIVE") return Shown();
      json::object& ci = (*record)["containerInstance"].as_object();
      if (GetString(ci, "status") == status) return Shown(Show(deps, *record, tasks));
      ci["status"] = status;
      ci["version"] = GetInt(ci, "version").value_or(0) + 1;
      return store::Commit(Shown(Show(deps, *record, tasks)));
    });
    ASSIGN_OR_FAIL(auto shown, std::move(updated), EcsError);
    if (!shown) continue;  // every attempt lost the race: the instance is in neither list
    if (*shown) {
      instances.push_back(std::move(**shown));
    } else {
      failures.push_back(json::object{{"arn", ref}, {"reason", "MISSING"}});
    }
  }
  return json::object{{"containerInstances", std::move(instances)}, {"failures", std::move(failures)}};
}

}  // namespace wharf::api::ecs
