#include "api/ecs/task_definition_rules.h"

#include <boost/json/array.hpp>
#include <cctype>
#include <cmath>
#include <set>

#include "api/json_util.h"

namespace wharf::api::ecs {
namespace json = boost::json;

namespace {

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits "1.5 vCPU" into 1.5 and "vcpu".
bool SplitQuantity(std::string_view text, double& number, std::string& unit) {
  std::string s(text);
  char* end = nullptr;
  number = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || number < 0) return false;
  std::string rest(end);
  size_t first = rest.find_first_not_of(' ');
  unit = first == std::string::npos ? "" : Lower(rest.substr(first));
  return true;
}


bool IsFargate(const json::object& request) {
  for (const auto& c : GetArray(request, "requiresCompatibilities")) {
    if (c.is_string() && c.get_string() == "FARGATE") return true;
  }
  return false;
}

std::string NetworkMode(const json::object& request) { return GetString(request, "networkMode", "bridge"); }

Status Client(std::string message) { return Status::InvalidArgument(std::move(message)); }

// secrets, secretOptions, repositoryCredentials and environmentFiles, as ECS checks them when
// the task definition is registered (what they name is only read when a task starts).
Status CheckSecrets(const json::object& c, const json::object& request) {
  const bool has_execution_role = !GetString(request, "executionRoleArn").empty();
  if (!GetArray(c, "environmentFiles").empty()) {
    return Client("environmentFiles are not supported: wharf has no Amazon S3 to read them from. Use "
                  "'environment' or 'secrets' instead.");
  }
  const json::array& secrets = GetArray(c, "secrets");
  if ((!secrets.empty() || !GetArray(GetObject(c, "logConfiguration"), "secretOptions").empty()) &&
      !has_execution_role) {
    return Client("When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.");
  }
  std::set<std::string> names;
  for (const auto& e : GetArray(c, "environment")) {
    if (e.is_object()) names.insert(GetString(e.get_object(), "name"));
  }
  for (const auto& v : secrets) {
    std::string name = v.is_object() ? GetString(v.get_object(), "name") : "";
    if (!names.insert(name).second) {
      return Client("The secret name must be unique and not shared with any new or existing environment variables "
                    "set on the container, such as '" + name + "'.");
    }
  }
  if (Has(c, "repositoryCredentials")) {
    if (!has_execution_role) {
      return Client("Private repository authentication requires that the task definition specify a value for "
                    "executionRoleArn.");
    }
    std::string image = GetString(c, "image");
    if (image.find(".dkr.ecr.") != std::string::npos) {
      return Client("Private repository credentials are not a supported authentication method for ECR repositories.");
    }
  }
  return Status::OK();
}

Status CheckContainer(const json::object& c, const json::object& request,
                      const std::set<std::string>& names, const std::set<std::string>& volumes) {
  const std::string name = GetString(c, "name");
  const bool awsvpc = NetworkMode(request) == "awsvpc";
  for (const auto& pm : GetArray(c, "portMappings")) {
    const json::object& m = pm.get_object();
    auto container_port = GetInt(m, "containerPort");
    if (!Has(m, "containerPortRange") && (!container_port || *container_port < 1 || *container_port > 65535)) {
      return Client("Invalid 'containerPort' setting for container '" + name + "'.");
    }
    auto host_port = GetInt(m, "hostPort");
    if (host_port && (*host_port < 0 || *host_port > 65535)) {
      return Client("Invalid 'hostPort' setting for container '" + name + "'.");
    }
    if (awsvpc && host_port && *host_port != 0 && container_port && *host_port != *container_port) {
      return Client("When networkMode=awsvpc, the host ports and container ports in port mappings must match.");
    }
  }
  if (awsvpc && !GetArray(c, "links").empty()) {
    return Client("Links are not supported when networkMode=awsvpc.");
  }
  if (awsvpc && Has(c, "hostname")) {
    return Client("hostname is not supported on container when networkMode=awsvpc.");
  }
  for (const auto& l : GetArray(c, "links")) {
    std::string link(l.get_string());
    std::string target = link.substr(0, link.find(':'));
    if (!names.count(target) || target == name) {
      return Client("Invalid 'links' setting for container '" + name + "'. Container '" + target +
                    "' does not exist in the task definition.");
    }
  }
  for (const auto& d : GetArray(c, "dependsOn")) {
    std::string target = GetString(d.get_object(), "containerName");
    if (!names.count(target) || target == name) {
      return Client("Invalid 'dependsOn' setting for container '" + name + "'. Container '" +
                    target + "' does not exist in the task definition.");
    }
  }
  for (const auto& v : GetArray(c, "volumesFrom")) {
    std::string source = GetString(v.get_object(), "sourceContainer");
    if (!names.count(source) || source == name) {
      return Client("Invalid 'volumesFrom' setting for container '" + name + "'. Container '" +
                    source + "' does not exist in the task definition.");
    }
  }
  for (const auto& m : GetArray(c, "mountPoints")) {
    std::string source = GetString(m.get_object(), "sourceVolume");
    if (!volumes.count(source)) {
      return Client("Invalid 'mountPoints' setting for container '" + name + "'. The volume '" +
                    source + "' does not exist in the task definition.");
    }
  }
  RETURN_IF_ERROR(CheckSecrets(c, request));
  auto memory = GetInt(c, "memory");
  auto reservation = GetInt(c, "memoryReservation");
  if (memory && *memory < 6) {
    return Client("Invalid 'memory' setting for container '" + name + "'. The minimum is 6 MiB.");
  }
  if (reservation && *reservation < 6) {
    return Client("Invalid 'memoryReservation' setting for container '" + name + "'. The minimum is 6 MiB.");
  }
  if (memory && reservation && *reservation > *memory) {
    return Client("Invalid setting for container '" + name +
                  "'. 'memoryReservation' must be less than or equal to 'memory'.");
  }
  if (!Has(request, "memory") && !memory && !reservation) {
    return Client("Invalid setting for container '" + name +
                  "'. At least one of 'memory' or 'memoryReservation' must be specified.");
  }
  if (Has(request, "memory")) {
    auto task_memory = ParseMemory(GetString(request, "memory"));
    if (task_memory && memory && *memory > *task_memory) {
      return Client("The 'memory' setting for container '" + name + "' is greater than for the task.");
    }
    if (task_memory && reservation && *reservation > *task_memory) {
      return Client("The 'memoryReservation' setting for container '" + name +
                    "' is greater than for the task.");
    }
  }
  if (Has(request, "cpu")) {
    auto task_cpu = ParseCpu(GetString(request, "cpu"));
    auto cpu = GetInt(c, "cpu");
    if (task_cpu && cpu && *cpu > *task_cpu) {
      return Client("The 'cpu' setting for container '" + name + "' is greater than for the task.");
    }
  }
  return Status::OK();
}

Status CheckFargate(const json::object& request) {
  if (NetworkMode(request) != "awsvpc") return Client("Fargate only supports network mode \u2018awsvpc\u2019.");
  if (!Has(request, "cpu")) return Client("Fargate requires that 'cpu' be defined at the task level.");
  if (!Has(request, "memory")) return Client("Fargate requires that 'memory' be defined at the task level.");
  int64_t cpu = *ParseCpu(GetString(request, "cpu"));
  int64_t memory = *ParseMemory(GetString(request, "memory"));
  if (!IsFargateSize(cpu, memory)) {
    return Client("No Fargate configuration exists for given values: " + std::to_string(cpu) + " CPU, " +
                  std::to_string(memory) + " memory. See the Amazon ECS documentation for the valid values.");
  }
  if (Has(request, "ipcMode")) return Client("Tasks using the Fargate launch type do not support ipcMode.");
  if (GetString(request, "pidMode") == "host") {
    return Client("Tasks using the Fargate launch type do not support pidMode 'host'.");
  }
  if (Has(request, "ephemeralStorage")) {
    int64_t size = GetInt(GetObject(request, "ephemeralStorage"), "sizeInGiB").value_or(0);
    if (size < 21) return Client("EphemeralStorage size should be at least 21");
    if (size > 200) return Client("EphemeralStorage size should be at most 200");
  }
  for (const auto& cv : GetArray(request, "containerDefinitions")) {
    const json::object& c = cv.get_object();
    if (GetString(GetObject(c, "logConfiguration"), "logDriver") == "awslogs" &&
        !Has(request, "executionRoleArn")) {
      return Client("Fargate requires task definition to have execution role ARN to support log driver awslogs.");
    }
    if (GetBool(c, "privileged").value_or(false)) {
      return Client("Fargate does not support privileged containers.");
    }
  }
  return Status::OK();
}

// Fargate accepts the definition as it is (for `compatibilities`).
bool FargateCompatible(const json::object& request) { return CheckFargate(request).ok(); }

void AddAttribute(json::array& attrs, std::set<std::string>& seen, const std::string& name) {
  if (seen.insert(name).second) attrs.push_back(json::object{{"name", name}});
}

json::array RequiresAttributes(const json::object& request) {
  json::array attrs;
  std::set<std::string> seen;
  const bool has_execution_role = Has(request, "executionRoleArn");
  if (Has(request, "taskRoleArn")) AddAttribute(attrs, seen, "com.amazonaws.ecs.capability.task-iam-role");
  if (NetworkMode(request) == "awsvpc") {
    AddAttribute(attrs, seen, "com.amazonaws.ecs.capability.docker-remote-api.1.18");
    AddAttribute(attrs, seen, "ecs.capability.task-eni");
  }
  if (Has(request, "cpu") || Has(request, "memory")) {
    if (!IsFargate(request)) AddAttribute(attrs, seen, "ecs.capability.task-cpu-mem-limit");
  }
  for (const auto& cv : GetArray(request, "containerDefinitions")) {
    const json::object& c = cv.get_object();
    std::string image = GetString(c, "image");
    if (image.find(".dkr.ecr.") != std::string::npos) {
      AddAttribute(attrs, seen, "com.amazonaws.ecs.capability.ecr-auth");
      if (has_execution_role) AddAttribute(attrs, seen, "ecs.capability.execution-role-ecr-pull");
    }
    std::string driver = GetString(GetObject(c, "logConfiguration"), "logDriver");
    if (!driver.empty()) {
      AddAttribute(attrs, seen, "com.amazonaws.ecs.capability.logging-driver." + driver);
      AddAttribute(attrs, seen, "com.amazonaws.ecs.capability.docker-remote-api.1.19");
      if (driver == "awslogs" && has_execution_role) {
        AddAttribute(attrs, seen, "ecs.capability.execution-role-awslogs");
      }
    }
    if (Has(c, "memoryReservation")) {
      AddAttribute(attrs, seen, "com.amazonaws.ecs.capability.docker-remote-api.1.21");
    }
    if (!GetArray(c, "dependsOn").empty()) AddAttribute(attrs, seen, "ecs.capability.container-ordering");
    if (Has(c, "healthCheck")) AddAttribute(attrs, seen, "ecs.capability.container-health-check");
    // Which store each secret is in: "arn:aws:secretsmanager:..." or an SSM parameter.
    auto store_of = [](const json::value& v) {
      std::string from = v.is_object() ? GetString(v.get_object(), "valueFrom") : "";
      return from.starts_with("arn:") && from.find(":secretsmanager:") != std::string::npos ? "asm" : "ssm";
    };
    for (const auto& s : GetArray(c, "secrets")) {
      AddAttribute(attrs, seen, std::string("ecs.capability.secrets.") + store_of(s) + ".environment-variables");
    }
    for (const auto& s : GetArray(GetObject(c, "logConfiguration"), "secretOptions")) {
      AddAttribute(attrs, seen, std::string("ecs.capability.secrets.") + store_of(s) + ".bootstrap.log-driver");
    }
    if (Has(c, "repositoryCredentials")) {
      AddAttribute(attrs, seen, "ecs.capability.private-registry-authentication.secretsmanager");
    }
    if (!GetArray(c, "environmentFiles").empty()) AddAttribute(attrs, seen, "ecs.capability.env-files.s3");
  }
  return attrs;
}

}  // namespace

std::optional<int64_t> ParseCpu(std::string_view text) {
  double n = 0;
  std::string unit;
  if (!SplitQuantity(text, n, unit)) return std::nullopt;
  if (unit.empty()) {
    if (n != std::floor(n)) return std::nullopt;
    return static_cast<int64_t>(n);
  }
  if (unit == "vcpu") return static_cast<int64_t>(std::llround(n * 1024));
  return std::nullopt;
}

std::optional<int64_t> ParseMemory(std::string_view text) {
  double n = 0;
  std::string unit;
  if (!SplitQuantity(text, n, unit)) return std::nullopt;
  if (unit.empty() || unit == "mib" || unit == "mb") {
    if (n != std::floor(n)) return std::nullopt;
    return static_cast<int64_t>(n);
  }
  if (unit == "gb" || unit == "gib") return static_cast<int64_t>(std::llround(n * 1024));
  return std::nullopt;
}

bool IsFargateSize(int64_t cpu, int64_t memory) {
  auto in_steps = [&](int64_t lo, int64_t hi, int64_t step) {
    return memory >= lo && memory <= hi && (memory - lo) % step == 0;
  };
  switch (cpu) {
    case 256: return memory == 512 || memory == 1024 || memory == 2048;
    case 512: return in_steps(1024, 4096, 1024);
    case 1024: return in_steps(2048, 8192, 1024);
    case 2048: return in_steps(4096, 16384, 1024);
    case 4096: return in_steps(8192, 30720, 1024);
    case 8192: return in_steps(16384, 61440, 4096);
    case 16384: return in_steps(32768, 122880, 8192);
    default: return false;
  }
}

Status CheckTaskDefinition(const json::object& request) {
  std::string family = GetString(request, "family");
  if (family.empty()) return Client("Family can not be blank.");
  if (!ValidName(family)) {
    return Client(family.size() > 255 ? "Family must be at most 255 characters long."
                                      : "Family contains invalid characters.");
  }
  const json::array& containers = GetArray(request, "containerDefinitions");
  if (containers.empty()) return Client("Container list cannot be empty.");
  if (containers.size() > 10) {
    return Client("Too many containers: a task definition can have at most 10 containers.");
  }
  if (Has(request, "cpu")) {
    auto cpu = ParseCpu(GetString(request, "cpu"));
    if (!cpu || *cpu < 128 || *cpu > 196608) {
      return Client("Invalid 'cpu' setting for task. For more information, see the Troubleshooting "
                    "section of the Amazon ECS Developer Guide.");
    }
  }
  if (Has(request, "memory")) {
    auto memory = ParseMemory(GetString(request, "memory"));
    if (!memory || *memory < 6) {
      return Client("Invalid 'memory' setting for task. For more information, see the "
                    "Troubleshooting section of the Amazon ECS Developer Guide.");
    }
  }
  std::set<std::string> names;
  bool any_essential = false;
  for (const auto& cv : containers) {
    const json::object& c = cv.get_object();
    std::string name = GetString(c, "name");
    if (name.empty()) return Client("Container.name should not be null or empty.");
    if (!ValidName(name)) return Client("Container.name contains invalid characters.");
    if (GetString(c, "image").empty()) return Client("Container.image should not be null or empty.");
    if (!names.insert(name).second) return Client("Container names must be unique within a Task Definition.");
    any_essential = any_essential || GetBool(c, "essential").value_or(true);
  }
  if (!any_essential) return Client("Task definition doesn't have any essential container.");
  std::set<std::string> volumes;
  for (const auto& v : GetArray(request, "volumes")) volumes.insert(GetString(v.get_object(), "name"));
  for (const auto& cv : containers) {
    RETURN_IF_ERROR(CheckContainer(cv.get_object(), request, names, volumes));
  }
  for (const auto& cv : containers) {
    for (const auto& d : GetArray(cv.get_object(), "dependsOn")) {
      std::string condition = GetString(d.get_object(), "condition");
      std::string target = GetString(d.get_object(), "containerName");
      if (condition != "SUCCESS" && condition != "COMPLETE") continue;
      for (const auto& other : containers) {
        if (GetString(other.get_object(), "name") == target &&
            GetBool(other.get_object(), "essential").value_or(true)) {
          return Client("A dependency container with SUCCESS or COMPLETE condition cannot be an "
                        "essential container");
        }
      }
    }
  }
  if (IsFargate(request)) RETURN_IF_ERROR(CheckFargate(request));
  return Status::OK();
}

json::object NormalizeTaskDefinition(const json::object& request) {
  json::object td = request;
  td.erase("tags");
  const std::string mode = GetString(request, "networkMode");
  json::array containers;
  for (const auto& cv : GetArray(request, "containerDefinitions")) {
    json::object c = cv.get_object();
    if (!Has(c, "cpu")) c["cpu"] = 0;
    if (!Has(c, "essential")) c["essential"] = true;
    for (const char* list : {"portMappings", "environment", "mountPoints", "volumesFrom", "systemControls"}) {
      if (!Has(c, list)) c[list] = json::array();
    }
    for (auto& pm : c["portMappings"].as_array()) {
      json::object& m = pm.as_object();
      if (!Has(m, "protocol")) m["protocol"] = "tcp";
      bool same_port = mode == "awsvpc" || mode == "host";
      if (Has(m, "containerPort") && (!Has(m, "hostPort") || (same_port && GetInt(m, "hostPort") == 0))) {
        m["hostPort"] = same_port ? m["containerPort"] : json::value(0);
      }
    }
    containers.push_back(std::move(c));
  }
  td["containerDefinitions"] = std::move(containers);
  if (Has(request, "cpu")) td["cpu"] = std::to_string(*ParseCpu(GetString(request, "cpu")));
  if (Has(request, "memory")) td["memory"] = std::to_string(*ParseMemory(GetString(request, "memory")));
  if (!Has(td, "volumes")) td["volumes"] = json::array();
  if (!Has(td, "placementConstraints")) td["placementConstraints"] = json::array();
  json::array compatibilities{"EC2"};
  if (mode != "awsvpc") compatibilities.insert(compatibilities.begin(), "EXTERNAL");
  if (FargateCompatible(td)) compatibilities.push_back("FARGATE");
  td["compatibilities"] = std::move(compatibilities);
  td["requiresAttributes"] = RequiresAttributes(request);
  return td;
}

}  // namespace wharf::api::ecs
