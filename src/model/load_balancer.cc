#include "model/load_balancer.h"

#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;

namespace {
constexpr const char* kShape = "loadBalancer";
constexpr const char* kInterfaces = "interfaces";
constexpr const char* kSubnetId = "subnetId";
constexpr const char* kIp = "ip";
constexpr const char* kInterfaceId = "networkInterfaceId";
constexpr const char* kPublicIp = "publicIp";
}  // namespace

const json::object& LoadBalancerRecord::shape() const { return GetObject(record_, kShape); }
bool LoadBalancerRecord::internet_facing() const {
  return GetString(shape(), "Scheme", "internet-facing") == "internet-facing";
}
std::string LoadBalancerRecord::arn() const { return GetString(shape(), "LoadBalancerArn"); }
std::string LoadBalancerRecord::attribute(std::string_view key, std::string_view fallback) const {
  return GetString(GetObject(record_, "attributes"), key, fallback);
}
int LoadBalancerRecord::idle_timeout_seconds() const {
  return IntFromText(attribute("idle_timeout.timeout_seconds"), 60);
}
std::string LoadBalancerRecord::name() const { return GetString(shape(), "LoadBalancerName"); }
std::string LoadBalancerRecord::vpc_id() const { return GetString(shape(), "VpcId"); }

std::string LoadBalancerRecord::resource_id() const {
  // arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>
  std::string a = arn();
  size_t at = a.find(":loadbalancer/");
  return at == std::string::npos ? std::string() : a.substr(at + 14);
}

std::vector<std::string> LoadBalancerRecord::security_groups() const {
  std::vector<std::string> out;
  for (const auto& g : GetArray(shape(), "SecurityGroups")) {
    if (g.is_string()) out.emplace_back(g.get_string());
  }
  return out;
}

std::vector<LoadBalancerInterface> LoadBalancerRecord::interfaces() const {
  std::vector<LoadBalancerInterface> out;
  for (const auto& v : GetArray(record_, kInterfaces)) {
    if (!v.is_object()) continue;
    const json::object& i = v.get_object();
    out.push_back({GetString(i, kSubnetId), GetString(i, kIp), GetString(i, kInterfaceId), GetString(i, kPublicIp)});
  }
  return out;
}

void SetLoadBalancerInterfaces(json::object& record, const std::vector<LoadBalancerInterface>& interfaces) {
  json::array out;
  for (const auto& i : interfaces) {
    json::object o{{kSubnetId, i.subnet_id}, {kIp, i.ip}, {kInterfaceId, i.network_interface_id}};
    if (!i.public_ip.empty()) o[kPublicIp] = i.public_ip;
    out.push_back(std::move(o));
  }
  record[kInterfaces] = std::move(out);
}

json::object LoadBalancerAddressClaim(const LoadBalancerInterface& interface, const std::string& lb_arn) {
  return {{kInterfaceId, interface.network_interface_id}, {"loadBalancerArn", lb_arn}};
}

}  // namespace wharf::model
