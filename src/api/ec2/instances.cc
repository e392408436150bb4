// DescribeInstances (the ECS nodes: each registered container instance's EC2 instance) and
// DescribeRegions. wharf launches no EC2 instances: its instances are the nodes agents run on,
// as ecs/container-instances/ records them, shown running in their zone's default subnet of
// the default VPC.
#include <algorithm>
#include <map>

#include "api/ec2/handlers.h"
#include "base/crypto.h"

namespace wharf::api::ec2 {

namespace {

std::string Attribute(const object& container_instance, std::string_view name) {
  for (const auto& a : GetArray(container_instance, "attributes")) {
    if (a.is_object() && GetString(a.get_object(), "name") == name) return GetString(a.get_object(), "value");
  }
  return "";
}

double Seconds(const object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : 0;
}

// An id derived from the instance's, stable across calls (reservation, interface).
std::string DerivedFrom(std::string_view kind, std::string_view id) {
  return std::string(kind) + "-" + HexEncode(Sha256(id)).substr(0, 17);
}

object Instance(const RequestContext& ctx, const object& container_instance, const object* subnet) {
  std::string id = GetString(container_instance, "ec2InstanceId");
  std::string zone = Attribute(container_instance, "ecs.availability-zone");
  if (zone.empty()) zone = ctx.region + "a";
  std::string type = Attribute(container_instance, "ecs.instance-type");
  object instance{{"InstanceId", id},
                  {"ImageId", "ami-" + HexEncode(Sha256("wharf-node")).substr(0, 17)},
                  {"State", object{{"Code", 16}, {"Name", "running"}}},
                  {"InstanceType", type.empty() ? "wharf.node" : type},
                  {"Placement", object{{"AvailabilityZone", zone}, {"GroupName", ""}, {"Tenancy", "default"}}},
                  {"LaunchTime", Seconds(container_instance, "registeredAt")},
                  {"Architecture", Attribute(container_instance, "ecs.cpu-architecture").empty()
                                       ? "x86_64" : Attribute(container_instance, "ecs.cpu-architecture")},
                  {"AmiLaunchIndex", 0},
                  {"Hypervisor", "xen"},
                  {"VirtualizationType", "hvm"},
                  {"RootDeviceType", "ebs"},
                  {"PlatformDetails", "Linux/UNIX"},
                  {"Monitoring", object{{"State", "disabled"}}},
                  {"EbsOptimized", false},
                  {"SourceDestCheck", true},
                  {"StateTransitionReason", ""},
                  {"ClientToken", ""},
                  {"ProductCodes", json::array()},
                  {"BlockDeviceMappings", json::array()},
                  {"SecurityGroups", json::array()},
                  {"NetworkInterfaces", json::array()},
                  {"Tags", json::array()}};
  if (subnet) {
    instance["VpcId"] = GetString(*subnet, "VpcId");
    instance["SubnetId"] = GetString(*subnet, "SubnetId");
  }
  if (std::string ip = Attribute(container_instance, "ecs.private-ip"); !ip.empty()) {
    instance["PrivateIpAddress"] = ip;
  }
  return instance;
}

}  // namespace

Outcome DescribeInstances(Context& c, const RequestContext& ctx, object& in) {
  auto filters = Filters::Parse(in, {{"instance-id", "InstanceId"},
                                     {"instance-state-name", "State.Name"},
                                     {"instance-state-code", "State.Code"},
                                     {"instance-type", "InstanceType"},
                                     {"availability-zone", "Placement.AvailabilityZone"},
                                     {"vpc-id", "VpcId"},
                                     {"subnet-id", "SubnetId"},
                                     {"private-ip-address", "PrivateIpAddress"},
                                     {"image-id", "ImageId"},
                                     {"architecture", "Architecture"},
                                     {"tenancy", "Placement.Tenancy"}});
  if (auto* err = std::get_if<AwsError>(&filters)) return *err;
  ASSIGN_OR_FAIL(auto records, controlplane::LoadRecords(c.store(), model::keys::kContainerInstances), Ec2Error);
  ASSIGN_OR_FAIL(auto subnets, controlplane::LoadRecords(c.store(), kSubnetsPrefix), Ec2Error);
  std::string default_vpc = DefaultVpcId(Where(ctx));
  // A node registered in several clusters is one instance; a deregistered one is gone.
  std::map<std::string, object> nodes;
  for (const object& r : records) {
    const object& ci = GetObject(r, "containerInstance");
    std::string id = GetString(ci, "ec2InstanceId");
    if (id.empty() || GetString(ci, "status") == "INACTIVE" || nodes.count(id)) continue;
    std::string zone = Attribute(ci, "ecs.availability-zone");
    if (zone.empty()) zone = ctx.region + "a";
    const object* subnet = nullptr;
    for (const object& s : subnets) {
      if (GetString(s, "VpcId") == default_vpc && GetString(s, "AvailabilityZone") == zone &&
          GetBool(s, "DefaultForAz").value_or(false)) {
        subnet = &s;
      }
    }
    nodes[id] = Instance(ctx, ci, subnet);
  }
  std::vector<std::string> ids = Strings(in, "InstanceIds");
  for (const std::string& id : ids) {
    if (!nodes.count(id)) {
      return AwsError::Client("InvalidInstanceID.NotFound", "The instance ID '" + id + "' does not exist");
    }
  }
  json::array matched;
  for (auto& [id, instance] : nodes) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
    if (std::get<Filters>(filters).Match(instance)) matched.push_back(std::move(instance));
  }
  object paged;
  if (auto err = PageInto(in, std::move(matched), "InstanceId", "Instances", PageLimits{5, 1000}, !ids.empty(),
                          "instanceIds", paged)) {
    return *err;
  }
  // One reservation per instance, as each node was launched on its own.
  json::array reservations;
  for (auto& i : paged["Instances"].as_array()) {
    std::string id = GetString(i.as_object(), "InstanceId");
    reservations.push_back(object{{"ReservationId", DerivedFrom("r", id)},
                                  {"OwnerId", ctx.account_id},
                                  {"Groups", json::array()},
                                  {"Instances", json::array{std::move(i)}}});
  }
  object out{{"Reservations", std::move(reservations)}};
  if (paged.contains("NextToken")) out["NextToken"] = paged["NextToken"];
  return out;
}

// The regions this server answers for (ServedRegions), as DescribeRegions lists them.
json::array RegionList(const std::vector<std::string>& regions) {
  json::array out;
  for (const std::string& r : regions) {
    out.push_back(object{{"Endpoint", "ec2." + r + ".amazonaws.com"},
                         {"RegionName", r},
                         {"OptInStatus", "opt-in-not-required"}});
  }
  return out;
}

Outcome DescribeRegions(Context& c, const RequestContext&, object& in) {
  auto filters = Filters::Parse(in, {{"endpoint", "Endpoint"},
                                     {"region-name", "RegionName"},
                                     {"opt-in-status", "OptInStatus"}});
  if (auto* err = std::get_if<AwsError>(&filters)) return *err;
  std::vector<std::string> served = c.deps.regions.empty() ? std::vector<std::string>{c.network().region}
                                                           : c.deps.regions;
  std::vector<std::string> names = Strings(in, "RegionNames");
  for (const std::string& name : names) {
    if (std::find(served.begin(), served.end(), name) == served.end()) {
      return AwsError::Client("InvalidParameterValue", "Invalid region name: " + name);
    }
  }
  json::array out;
  for (auto& r : RegionList(served)) {
    const object& region = r.as_object();
    if (!names.empty() && std::find(names.begin(), names.end(), GetString(region, "RegionName")) == names.end()) continue;
    if (std::get<Filters>(filters).Match(region)) out.push_back(std::move(r));
  }
  return object{{"Regions", std::move(out)}};
}

}  // namespace wharf::api::ec2
