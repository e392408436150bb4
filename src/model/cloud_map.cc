#include "model/cloud_map.h"

#include <algorithm>
#include <set>

#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;
namespace {

double Seconds(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_number()) return 0;
  return it->value().to_number<double>();
}

std::vector<std::string> RecordTypes(const json::object& service) {
  std::vector<std::string> types;
  for (const auto& r : GetArray(GetObject(service, "DnsConfig"), "DnsRecords")) {
    if (r.is_object()) types.push_back(GetString(r.as_object(), "Type"));
  }
  return types;
}

bool Holds(const std::vector<std::string>& types, std::string_view type) {
  return std::find(types.begin(), types.end(), type) != types.end();
}

bool MatchesAll(const json::object& attributes, const std::map<std::string, std::string>& wanted) {
  for (const auto& [k, v] : wanted) {
    if (GetString(attributes, k) != v || !attributes.contains(k)) return false;
  }
  return true;
}

}  // namespace

Status CheckDnsConfig(std::string_view namespace_type, const json::object& dns_config) {
  if (namespace_type == kHttpNamespace) {
    return Status::InvalidArgument("DnsConfig is not supported for services in an HTTP namespace.");
  }
  const json::array& records = GetArray(dns_config, "DnsRecords");
  if (records.empty()) return Status::InvalidArgument("DnsRecords must contain at least one record.");
  std::vector<std::string> types;
  for (const auto& r : records) types.push_back(GetString(r.as_object(), "Type"));
  std::set<std::string> distinct(types.begin(), types.end());
  if (distinct.size() != types.size()) {
    return Status::InvalidArgument("DnsRecords can't contain more than one record of the same type.");
  }
  std::string policy = GetString(dns_config, "RoutingPolicy", "MULTIVALUE");
  if (Holds(types, "CNAME")) {
    if (types.size() > 1) return Status::InvalidArgument("A CNAME record can't be combined with other record types.");
    if (policy != "WEIGHTED") return Status::InvalidArgument("CNAME records require the WEIGHTED routing policy.");
  }
  if (types.size() > 2 || (types.size() == 2 && !Holds(types, "SRV") &&
                           !(Holds(types, "A") && Holds(types, "AAAA")))) {
    return Status::InvalidArgument("DnsRecords can hold A, AAAA, A and AAAA, SRV, or SRV with A or AAAA.");
  }
  if (types.size() == 2 && Holds(types, "SRV") && !Holds(types, "A") && !Holds(types, "AAAA")) {
    return Status::InvalidArgument("An SRV record can only be combined with an A or AAAA record.");
  }
  return Status::OK();
}

Status CheckInstanceAttributes(const json::object& service, const json::object& attributes) {
  if (attributes.size() > kMaxInstanceAttributes) {
    return Status::InvalidArgument("An instance can have at most 30 attributes.");
  }
  if (attributes.contains(kAliasDnsName)) {
    return Status::InvalidArgument(
        "AWS_ALIAS_DNS_NAME is not supported by wharf: it has no Route 53 alias records for load balancers.");
  }
  if (attributes.contains(kInitHealthStatus)) {
    std::string s = GetString(attributes, kInitHealthStatus);
    if (s != "HEALTHY" && s != "UNHEALTHY") {
      return Status::InvalidArgument("AWS_INIT_HEALTH_STATUS must be HEALTHY or UNHEALTHY.");
    }
  }
  if (attributes.contains(kInstancePort)) {
    std::string port = GetString(attributes, kInstancePort);
    int n = IntFromText(port, -1);
    if (n < 0 || n > 65535 || std::to_string(n) != port) {
      return Status::InvalidArgument("AWS_INSTANCE_PORT must be a port number from 0 to 65535.");
    }
  }
  std::vector<std::string> types = RecordTypes(service);
  auto need = [&](std::string_view attribute, std::string_view type) -> Status {
    if (GetString(attributes, attribute).empty()) {
      return Status::InvalidArgument("The service has a DNS " + std::string(type) + " record: " +
                                     std::string(attribute) + " is required.");
    }
    return Status::OK();
  };
  if (Holds(types, "A")) RETURN_IF_ERROR(need(kInstanceIpv4, "A"));
  if (Holds(types, "AAAA")) RETURN_IF_ERROR(need(kInstanceIpv6, "AAAA"));
  if (Holds(types, "CNAME")) RETURN_IF_ERROR(need(kInstanceCname, "CNAME"));
  if (Holds(types, "SRV")) {
    RETURN_IF_ERROR(need(kInstancePort, "SRV"));
    if (GetString(attributes, kInstanceIpv4).empty() && GetString(attributes, kInstanceIpv6).empty()) {
      return Status::InvalidArgument("The service has a DNS SRV record: AWS_INSTANCE_IPV4 or AWS_INSTANCE_IPV6 is required.");
    }
  }
  if (types.empty() && attributes.empty()) {
    return Status::InvalidArgument("An instance needs at least one attribute.");
  }
  return Status::OK();
}

std::string InstanceHealth(const json::object& service, const json::object& instance) {
  if (!Has(service, "HealthCheckCustomConfig")) return "UNKNOWN";
  std::string status = GetString(instance, "HealthStatus");
  return status.empty() ? "HEALTHY" : status;
}

std::string OperationStatusAt(const json::object& operation, double now) {
  std::string status = GetString(operation, "Status");
  if (status != "SUBMITTED") return status;
  return now >= Seconds(operation, "SubmitDate") + kOperationSettleSeconds ? "SUCCESS" : "SUBMITTED";
}

json::object PresentOperation(const json::object& operation, double now) {
  json::object out = operation;
  out.erase("SubmitDate");
  std::string status = OperationStatusAt(operation, now);
  out["Status"] = status;
  double submitted = Seconds(operation, "SubmitDate");
  out["UpdateDate"] = status == "SUBMITTED" ? submitted : submitted + kOperationSettleSeconds;
  return out;
}

json::object PresentNamespace(const json::object& ns) {
  json::object out = ns;
  out.erase("Tags");
  out.erase("Vpc");
  out.erase("OperationId");
  return out;
}

json::object PresentService(const json::object& service) {
  json::object out = service;
  out.erase("Tags");
  out.erase("ServiceAttributes");
  out.erase("InstancesRevision");
  return out;
}

std::vector<json::object> DiscoverInstances(const json::object& service, const std::vector<json::object>& instances,
                                            const DiscoverQuery& query) {
  std::vector<const json::object*> matching;
  for (const auto& i : instances) {
    if (MatchesAll(GetObject(i, "Attributes"), query.query_parameters)) matching.push_back(&i);
  }
  if (!query.optional_parameters.empty()) {
    std::vector<const json::object*> preferred;
    for (const auto* i : matching) {
      if (MatchesAll(GetObject(*i, "Attributes"), query.optional_parameters)) preferred.push_back(i);
    }
    if (!preferred.empty()) matching = std::move(preferred);
  }
  auto with_health = [&](std::string_view health) {
    std::vector<const json::object*> out;
    for (const auto* i : matching) {
      // A service without health checks: the filter is ignored, every instance is returned.
      if (health == "ALL" || !Has(service, "HealthCheckCustomConfig") || InstanceHealth(service, *i) == health) {
        out.push_back(i);
      }
    }
    return out;
  };
  std::vector<const json::object*> chosen;
  if (query.health_status == "HEALTHY_OR_ELSE_ALL") {
    chosen = with_health("HEALTHY");
    if (chosen.empty()) chosen = with_health("ALL");
  } else {
    chosen = with_health(query.health_status);
  }
  std::vector<json::object> out;
  for (const auto* i : chosen) {
    if (out.size() >= query.max_results) break;
    out.push_back(*i);
  }
  return out;
}

size_t DnsAnswersKept(const json::object& service) {
  return GetString(GetObject(service, "DnsConfig"), "RoutingPolicy", "MULTIVALUE") == "WEIGHTED" ? 1
                                                                                                : kMaxMultivalueAnswers;
}

std::vector<DnsAnswer> AllDnsAnswers(const json::object& ns, const json::object& service,
                                     const std::vector<json::object>& instances, std::string_view type) {
  const json::object& dns = GetObject(service, "DnsConfig");
  int64_t ttl = -1;
  for (const auto& r : GetArray(dns, "DnsRecords")) {
    if (GetString(r.as_object(), "Type") == type) ttl = GetInt(r.as_object(), "TTL").value_or(60);
  }
  if (ttl < 0) return {};
  std::string suffix = "." + GetString(service, "Name") + "." + GetString(ns, "Name");
  std::vector<DnsAnswer> answers;
  for (const auto& i : instances) {
    if (InstanceHealth(service, i) == "UNHEALTHY") continue;
    const json::object& a = GetObject(i, "Attributes");
    std::string value;
    if (type == "A") value = GetString(a, kInstanceIpv4);
    if (type == "AAAA") value = GetString(a, kInstanceIpv6);
    if (type == "CNAME") value = GetString(a, kInstanceCname);
    if (type == "SRV") value = "1 1 " + GetString(a, kInstancePort) + " " + GetString(i, "Id") + suffix;
    if (!value.empty()) answers.push_back({std::string(type), ttl, std::move(value)});
  }
  return answers;
}

std::vector<DnsAnswer> DnsAnswers(const json::object& ns, const json::object& service,
                                  const std::vector<json::object>& instances, std::string_view type,
                                  uint64_t pick) {
  std::vector<DnsAnswer> answers = AllDnsAnswers(ns, service, instances, type);
  size_t keep = DnsAnswersKept(service);
  if (answers.size() > keep) {
    // A rotation chosen by `pick`, so repeated queries spread over all instances.
    std::rotate(answers.begin(), answers.begin() + static_cast<long>(pick % answers.size()), answers.end());
    answers.resize(keep);
  }
  return answers;
}

}  // namespace wharf::model
