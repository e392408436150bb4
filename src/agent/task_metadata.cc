#include "agent/task_metadata.h"

#include <arpa/inet.h>
#include <sys/timex.h>

#include <boost/json/array.hpp>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "base/crypto.h"
#include "model/vpc_dns.h"
#include "model/json.h"

namespace wharf::agent {
namespace json = boost::json;
using Time = std::chrono::system_clock::time_point;

namespace {

// A member that may be a string or an integer (a revision), as text.
std::string StringOrInteger(const json::object& o, std::string_view key, std::string fallback = "") {
  auto it = o.find(key);
  if (it == o.end()) return fallback;
  if (it->value().is_string()) return std::string(it->value().get_string());
  if (it->value().is_int64()) return std::to_string(it->value().get_int64());
  return fallback;
}

std::optional<double> Num(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const json::value& v = it->value();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  if (v.is_string()) {  // task-level cpu and memory are strings ("256")
    char* end = nullptr;
    std::string s(v.get_string());
    double d = std::strtod(s.c_str(), &end);
    if (end != s.c_str() && *end == '\0') return d;
  }
  return std::nullopt;
}

// A record timestamp (epoch seconds, millisecond precision, or already text) in metadata form.
std::optional<std::string> RecordTime(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (it->value().is_string()) return std::string(it->value().get_string());
  std::optional<double> secs = Num(o, key);
  if (!secs) return std::nullopt;
  auto ms = std::chrono::milliseconds(std::llround(*secs * 1000));
  return MetadataTime(Time(std::chrono::duration_cast<Time::duration>(ms)));
}

// The last part of an ARN's resource ("cluster/default" -> "default").
std::string ArnName(const std::string& arn) {
  size_t slash = arn.rfind('/');
  return slash == std::string::npos ? arn : arn.substr(slash + 1);
}

std::string ArnRegion(const std::string& arn) {
  // arn:partition:service:region:account:resource
  size_t p = 0;
  for (int i = 0; i < 3 && p != std::string::npos; ++i) p = arn.find(':', p + 1);
  if (p == std::string::npos) return "";
  size_t end = arn.find(':', p + 1);
  return end == std::string::npos ? "" : arn.substr(p + 1, end - p - 1);
}

std::string Family(const json::object& task, const json::object& definition) {
  std::string family = StringOrInteger(definition, "family");
  if (!family.empty()) return family;
  std::string arn = ArnName(StringOrInteger(task, "taskDefinitionArn"));
  return arn.substr(0, arn.find(':'));
}

std::string Revision(const json::object& task, const json::object& definition) {
  std::string revision = StringOrInteger(definition, "revision");
  if (!revision.empty()) return revision;
  std::string arn = ArnName(StringOrInteger(task, "taskDefinitionArn"));
  size_t colon = arn.rfind(':');
  return colon == std::string::npos ? "" : arn.substr(colon + 1);
}

bool IsFargate(const json::object& task) { return StringOrInteger(task, "launchType") == "FARGATE"; }

const json::object* FindByName(const json::array& list, const std::string& name) {
  for (const json::value& v : list) {
    if (v.is_object() && StringOrInteger(v.get_object(), "name") == name) return &v.get_object();
  }
  return nullptr;
}

// The task's ENI details from its attachments, by name.
json::object EniDetails(const json::object& task) {
  json::object details;
  for (const json::value& a : GetArray(task, "attachments")) {
    if (!a.is_object() || StringOrInteger(a.get_object(), "type") != "ElasticNetworkInterface") continue;
    for (const json::value& d : GetArray(a.get_object(), "details")) {
      if (d.is_object()) details[StringOrInteger(d.get_object(), "name")] = StringOrInteger(d.get_object(), "value");
    }
    break;
  }
  return details;
}

// "10.0.2.0/24" -> "10.0.2.1/24": the VPC router's address, as SubnetGatewayIpv4Address shows it.
std::string GatewayOf(const std::string& cidr) {
  size_t slash = cidr.find('/');
  if (slash == std::string::npos) return "";
  in_addr addr{};
  if (inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &addr) != 1) return "";
  addr.s_addr = htonl(ntohl(addr.s_addr) + 1);
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &addr, buf, sizeof buf);
  return std::string(buf) + cidr.substr(slash);
}

// Docker names that the ECS agent gives containers: ecs-<family>-<revision>-<name>-<20 hex>.
std::string DockerName(const json::object& task, const json::object& definition, const std::string& name) {
  if (IsFargate(task)) return name;
  std::string clean;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') clean += c;
  }
  std::string suffix = HexEncode(Sha256(StringOrInteger(task, "taskArn") + "/" + name)).substr(0, 20);
  return "ecs-" + Family(task, definition) + "-" + Revision(task, definition) + "-" + clean + "-" + suffix;
}

json::array Networks(const json::object& task, const json::object& definition, const TaskRuntime& runtime,
                     const ContainerFacts* container) {
  std::string mode = StringOrInteger(definition, "networkMode", IsFargate(task) ? "awsvpc" : "bridge");
  json::object net{{"NetworkMode", mode}};
  if (mode == "awsvpc") {
    json::object eni = EniDetails(task);
    std::string ip = StringOrInteger(eni, "privateIPv4Address");
    if (ip.empty()) ip = runtime.eni_ip;
    const std::string& cidr = runtime.subnet_cidr;
    net["IPv4Addresses"] = json::array{json::value(ip)};
    net["AttachmentIndex"] = 0;
    if (std::string mac = StringOrInteger(eni, "macAddress"); !mac.empty()) net["MACAddress"] = mac;
    if (!cidr.empty()) net["IPv4SubnetCIDRBlock"] = cidr;
    std::string dns = StringOrInteger(eni, "privateDnsName");
    if (dns.empty() && !ip.empty()) {
      // A task placed before the attachment carried it: EC2's name for the address.
      std::string region = ArnRegion(StringOrInteger(task, "taskArn"));
      dns = model::PrivateDnsName(ip, region.empty() ? "us-east-1" : region);
    }
    if (!dns.empty()) net["PrivateDNSName"] = dns;
    if (std::string gw = GatewayOf(cidr); !gw.empty()) net["SubnetGatewayIpv4Address"] = gw;
  } else if (mode == "bridge" && container && !container->ipv4_addresses.empty()) {
    json::array ips;
    for (const std::string& ip : container->ipv4_addresses) ips.emplace_back(ip);
    net["IPv4Addresses"] = std::move(ips);
  }
  return json::array{std::move(net)};
}

json::array Ports(const json::object& record, const json::object& def, bool awsvpc) {
  json::array ports;
  for (const json::value& b : GetArray(record, "networkBindings")) {
    if (!b.is_object()) continue;
    const json::object& nb = b.get_object();
    ports.push_back(json::object{{"ContainerPort", Num(nb, "containerPort").value_or(0)},
                                 {"Protocol", StringOrInteger(nb, "protocol", "tcp")},
                                 {"HostPort", Num(nb, "hostPort").value_or(0)},
                                 {"HostIp", StringOrInteger(nb, "bindIP", "0.0.0.0")}});
  }
  if (ports.empty() && awsvpc) {
    for (const json::value& p : GetArray(def, "portMappings")) {
      if (!p.is_object()) continue;
      const json::object& pm = p.get_object();
      double port = Num(pm, "containerPort").value_or(0);
      ports.push_back(json::object{{"ContainerPort", port},
                                   {"Protocol", StringOrInteger(pm, "protocol", "tcp")},
                                   {"HostPort", Num(pm, "hostPort").value_or(port)}});
    }
  }
  // Ports are whole numbers; store them as integers, not doubles.
  for (json::value& p : ports) {
    for (const char* k : {"ContainerPort", "HostPort"}) {
      json::value& v = p.get_object()[k];
      v = static_cast<int64_t>(v.to_number<double>());
    }
  }
  return ports;
}

bool HasHealthCheck(const json::object& def) {
  const json::object& hc = GetObject(def, "healthCheck");
  const json::array& cmd = GetArray(hc, "command");
  return !cmd.empty() && !(cmd[0].is_string() && cmd[0].get_string() == "NONE");
}

json::object Build(const json::object& task, const json::object& definition, const TaskRuntime& runtime,
                   const json::object& record, const json::object& def) {
  std::string name = StringOrInteger(record, "name");
  const ContainerFacts* rt = nullptr;
  for (const ContainerFacts& c : runtime.containers) {
    if (c.name == name) rt = &c;
  }
  json::object out;
  std::string docker_id = rt && !rt->runtime_id.empty() ? rt->runtime_id : StringOrInteger(record, "runtimeId");
  out["DockerId"] = docker_id;
  out["Name"] = name;
  out["DockerName"] = DockerName(task, definition, name);
  out["Image"] = StringOrInteger(def, "image", StringOrInteger(record, "image"));
  out["ImageID"] = StringOrInteger(record, "imageDigest");

  std::string cluster_arn = StringOrInteger(task, "clusterArn");
  json::object labels{{"com.amazonaws.ecs.cluster", ArnName(cluster_arn)},
                      {"com.amazonaws.ecs.container-name", name},
                      {"com.amazonaws.ecs.task-arn", StringOrInteger(task, "taskArn")},
                      {"com.amazonaws.ecs.task-definition-family", Family(task, definition)},
                      {"com.amazonaws.ecs.task-definition-version", Revision(task, definition)}};
  for (const auto& kv : GetObject(def, "dockerLabels")) labels[kv.key()] = kv.value();
  out["Labels"] = std::move(labels);
  out["DesiredStatus"] = StringOrInteger(task, "desiredStatus", "RUNNING");
  out["KnownStatus"] = StringOrInteger(record, "lastStatus", StringOrInteger(task, "lastStatus", "PENDING"));
  if (auto exit = Num(record, "exitCode")) out["ExitCode"] = static_cast<int64_t>(*exit);
  out["Limits"] = json::object{{"CPU", static_cast<int64_t>(Num(def, "cpu").value_or(0))},
                               {"Memory", static_cast<int64_t>(Num(def, "memory").value_or(0))}};
  if (rt && rt->created_at) out["CreatedAt"] = MetadataTime(*rt->created_at);
  if (rt && rt->started_at) out["StartedAt"] = MetadataTime(*rt->started_at);
  if (rt && rt->finished_at) out["FinishedAt"] = MetadataTime(*rt->finished_at);
  out["Type"] = "NORMAL";
  const json::object& log = GetObject(def, "logConfiguration");
  if (!log.empty()) {
    out["LogDriver"] = StringOrInteger(log, "logDriver");
    out["LogOptions"] = GetObject(log, "options");
  }
  if (std::string arn = StringOrInteger(record, "containerArn"); !arn.empty()) out["ContainerARN"] = arn;
  std::string mode = StringOrInteger(definition, "networkMode", IsFargate(task) ? "awsvpc" : "bridge");
  json::array ports = Ports(record, def, mode == "awsvpc");
  if (!ports.empty()) out["Ports"] = std::move(ports);
  out["Networks"] = Networks(task, definition, runtime, rt);
  if (HasHealthCheck(def)) {
    json::object health;
    if (rt && rt->health) {
      // As the agent's omitempty fields: no exit code 0, no empty output.
      health["status"] = rt->health->status;
      health["statusSince"] = MetadataTime(rt->health->since);
      if (rt->health->exit_code && *rt->health->exit_code != 0) health["exitCode"] = *rt->health->exit_code;
      if (!rt->health->output.empty()) health["output"] = rt->health->output;
    } else {
      health["status"] = StringOrInteger(record, "healthStatus", kHealthUnknown);
    }
    out["Health"] = std::move(health);
  }
  return out;
}

}  // namespace

std::string MetadataTime(Time t) {
  auto since = t.time_since_epoch();
  auto secs = std::chrono::floor<std::chrono::seconds>(since);
  int64_t nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs).count();
  std::time_t tt = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (nanos != 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos));
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

Result<json::object> ContainerMetadata(const json::object& task, const json::object& task_definition,
                                       const TaskRuntime& runtime, const std::string& container_name) {
  const json::object* record = FindByName(GetArray(task, "containers"), container_name);
  const json::object* def = FindByName(GetArray(task_definition, "containerDefinitions"), container_name);
  if (!def) return Status::NotFound("task definition has no container '" + container_name + "'");
  json::object minimal{{"name", container_name}};
  return Build(task, task_definition, runtime, record ? *record : minimal, *def);
}

json::object TaskMetadata(const json::object& task, const json::object& task_definition,
                          const TaskRuntime& runtime) {
  json::object out;
  std::string cluster_arn = StringOrInteger(task, "clusterArn");
  // EC2 shows the cluster's short name; Fargate its ARN (the documented examples).
  out["Cluster"] = IsFargate(task) ? cluster_arn : ArnName(cluster_arn);
  std::string group = StringOrInteger(task, "group");
  if (group.rfind("service:", 0) == 0) out["ServiceName"] = group.substr(8);
  out["TaskARN"] = StringOrInteger(task, "taskArn");
  out["Family"] = Family(task, task_definition);
  out["Revision"] = Revision(task, task_definition);
  out["DesiredStatus"] = StringOrInteger(task, "desiredStatus", "RUNNING");
  out["KnownStatus"] = StringOrInteger(task, "lastStatus", "PENDING");
  json::object limits;
  if (auto cpu = Num(task, "cpu")) limits["CPU"] = *cpu / 1024.0;  // vCPUs
  if (auto memory = Num(task, "memory")) limits["Memory"] = static_cast<int64_t>(*memory);
  if (!limits.empty()) out["Limits"] = std::move(limits);
  if (auto t = RecordTime(task, "pullStartedAt")) out["PullStartedAt"] = *t;
  if (auto t = RecordTime(task, "pullStoppedAt")) out["PullStoppedAt"] = *t;
  if (auto t = RecordTime(task, "executionStoppedAt")) out["ExecutionStoppedAt"] = *t;
  if (std::string az = StringOrInteger(task, "availabilityZone"); !az.empty()) out["AvailabilityZone"] = az;
  if (std::string lt = StringOrInteger(task, "launchType"); !lt.empty()) out["LaunchType"] = lt;

  json::array containers;
  const json::array& records = GetArray(task, "containers");
  for (const json::value& d : GetArray(task_definition, "containerDefinitions")) {
    if (!d.is_object()) continue;
    std::string name = StringOrInteger(d.get_object(), "name");
    const json::object* record = FindByName(records, name);
    json::object minimal{{"name", name}};
    containers.emplace_back(Build(task, task_definition, runtime, record ? *record : minimal, d.get_object()));
  }
  out["Containers"] = std::move(containers);
  if (runtime.clock_drift) {
    const ClockDrift& c = *runtime.clock_drift;
    out["ClockDrift"] = json::object{
        {"ClockErrorBound", c.error_bound_ms},
        {"ReferenceTimestamp", MetadataTime(std::chrono::floor<std::chrono::seconds>(c.reference))},
        {"ClockSynchronizationStatus", c.synchronized ? "SYNCHRONIZED" : "NOT_SYNCHRONIZED"}};
  }
  return out;
}

ClockDrift ReadClockDrift(Clock& clock) {
  ClockDrift d;
  d.reference = clock.Now();
  timex tx{};
  int state = adjtimex(&tx);
  if (state == -1) return d;
  d.synchronized = state != TIME_ERROR && !(tx.status & STA_UNSYNC);
  d.error_bound_ms = static_cast<double>(tx.maxerror) / 1000.0;  // maxerror is in microseconds
  return d;
}

}  // namespace wharf::agent
