#include "api/elbv2/attributes.h"

#include <cstdlib>
#include <string_view>
#include <vector>

#include "api/elbv2/common.h"

namespace wharf::api::elbv2 {

namespace {

// How a value is checked: a boolean, an integer range, one of a set, or free text.
struct Rule {
  std::string_view key;
  std::string_view default_value;
  enum Kind { kBool, kInt, kEnum, kText } kind = kText;
  int64_t min = 0, max = 0;               // kInt
  std::vector<std::string_view> choices;  // kEnum
};

Rule Bool(std::string_view key, std::string_view def) {
  return Rule{key, def, Rule::kBool, 0, 0, {}};
}
Rule Int(std::string_view key, std::string_view def, int64_t min, int64_t max) {
  return Rule{key, def, Rule::kInt, min, max, {}};
}
Rule Enum(std::string_view key, std::string_view def, std::vector<std::string_view> choices) {
  return Rule{key, def, Rule::kEnum, 0, 0, std::move(choices)};
}
Rule Text(std::string_view key, std::string_view def) {
  return Rule{key, def, Rule::kText, 0, 0, {}};
}

const std::vector<Rule>& Rules(AttributeOwner owner) {
  static const std::vector<Rule> kLoadBalancer = {
      Bool("access_logs.s3.enabled", "false"),
      Text("access_logs.s3.bucket", ""),
      Text("access_logs.s3.prefix", ""),
      Int("client_keep_alive.seconds", "3600", 60, 604800),
      Bool("connection_logs.s3.enabled", "false"),
      Text("connection_logs.s3.bucket", ""),
      Text("connection_logs.s3.prefix", ""),
      Bool("deletion_protection.enabled", "false"),
      Bool("health_check_logs.s3.enabled", "false"),
      Text("health_check_logs.s3.bucket", ""),
      Text("health_check_logs.s3.prefix", ""),
      Int("idle_timeout.timeout_seconds", "60", 1, 4000),
      Enum("routing.http.desync_mitigation_mode", "defensive",
           {"monitor", "defensive", "strictest"}),
      Bool("routing.http.drop_invalid_header_fields.enabled", "false"),
      Bool("routing.http.preserve_host_header.enabled", "false"),
      Bool("routing.http.x_amzn_tls_version_and_cipher_suite.enabled", "false"),
      Bool("routing.http.xff_client_port.enabled", "false"),
      Enum("routing.http.xff_header_processing.mode", "append", {"append", "preserve", "remove"}),
      Bool("routing.http2.enabled", "true"),
      Bool("waf.fail_open.enabled", "false"),
      Bool("zonal_shift.config.enabled", "false"),
  };
  static const std::vector<Rule> kTargetGroup = {
      Int("deregistration_delay.timeout_seconds", "300", 0, 3600),
      Enum("load_balancing.algorithm.anomaly_mitigation", "off", {"on", "off"}),
      Enum("load_balancing.algorithm.type", "round_robin",
           {"round_robin", "least_outstanding_requests"}),
      Enum("load_balancing.cross_zone.enabled", "use_load_balancer_configuration",
           {"true", "false", "use_load_balancer_configuration"}),
      Int("slow_start.duration_seconds", "0", 0, 900),
      Text("stickiness.app_cookie.cookie_name", ""),
      Int("stickiness.app_cookie.duration_seconds", "86400", 1, 604800),
      Bool("stickiness.enabled", "false"),
      Int("stickiness.lb_cookie.duration_seconds", "86400", 1, 604800),
      Enum("stickiness.type", "lb_cookie", {"lb_cookie", "app_cookie"}),
      Text("target_group_health.dns_failover.minimum_healthy_targets.count", "1"),
      Text("target_group_health.dns_failover.minimum_healthy_targets.percentage", "off"),
      Text("target_group_health.unhealthy_state_routing.minimum_healthy_targets.count", "1"),
      Text("target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage", "off"),
  };
  static const std::vector<Rule> kListener = {
      Bool("routing.http.response.server.enabled", "true"),
      Text("routing.http.response.strict_transport_security.header_value", ""),
      Text("routing.http.response.access_control_allow_origin.header_value", ""),
      Text("routing.http.response.access_control_allow_methods.header_value", ""),
      Text("routing.http.response.access_control_allow_headers.header_value", ""),
      Text("routing.http.response.access_control_allow_credentials.header_value", ""),
      Text("routing.http.response.access_control_expose_headers.header_value", ""),
      Text("routing.http.response.access_control_max_age.header_value", ""),
      Text("routing.http.response.content_security_policy.header_value", ""),
      Text("routing.http.response.x_content_type_options.header_value", ""),
      Text("routing.http.response.x_frame_options.header_value", ""),
  };
  switch (owner) {
    case AttributeOwner::kLoadBalancer:
      return kLoadBalancer;
    case AttributeOwner::kTargetGroup:
      return kTargetGroup;
    case AttributeOwner::kListener:
      return kListener;
  }
  return kListener;
}

std::string_view OwnerName(AttributeOwner owner) {
  switch (owner) {
    case AttributeOwner::kLoadBalancer:
      return "Load balancer";
    case AttributeOwner::kTargetGroup:
      return "Target group";
    case AttributeOwner::kListener:
      return "Listener";
  }
  return "";
}

std::optional<AwsError> CheckValue(const Rule& rule, const std::string& value) {
  std::string key(rule.key);
  switch (rule.kind) {
    case Rule::kBool:
      if (value != "true" && value != "false") {
        return InvalidConfiguration("The value of '" + key + "' must be 'true' or 'false'");
      }
      break;
    case Rule::kInt: {
      char* end = nullptr;
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end || v < rule.min || v > rule.max) {
        return InvalidConfiguration("The value of '" + key + "' must be an integer between " +
                                    std::to_string(rule.min) + " and " + std::to_string(rule.max));
      }
      // AWS's slow start is 0 (off) or 30 to 900 seconds.
      if (key == "slow_start.duration_seconds" && v != 0 && v < 30) {
        return InvalidConfiguration(
            "The value of 'slow_start.duration_seconds' must be 0 or between 30 and 900");
      }
      break;
    }
    case Rule::kEnum: {
      std::string valid;
      for (auto c : rule.choices) {
        if (c == value) return std::nullopt;
        valid += (valid.empty() ? "" : ", ") + std::string(c);
      }
      return InvalidConfiguration("The value of '" + key + "' must be one of: " + valid);
    }
    case Rule::kText:
      if (value.size() > 1024)
        return ValidationError("Attribute values can be at most 1024 characters long");
      break;
  }
  return std::nullopt;
}

}  // namespace

json::object DefaultAttributes(AttributeOwner owner) {
  json::object out;
  for (const auto& r : Rules(owner)) out[r.key] = r.default_value;
  return out;
}

std::optional<AwsError> ApplyAttributes(AttributeOwner owner, const json::array& changes,
                                        json::object& attributes) {
  for (const auto& c : changes) {
    const json::object& change = c.get_object();
    std::string key = GetString(change, "Key");
    std::string value = GetString(change, "Value");
    const Rule* rule = nullptr;
    for (const auto& r : Rules(owner)) {
      if (r.key == key) rule = &r;
    }
    if (!rule) {
      return ValidationError(std::string(OwnerName(owner)) + " attribute key '" + key +
                             "' is not recognized");
    }
    if (auto err = CheckValue(*rule, value)) return err;
    attributes[key] = value;
  }
  return std::nullopt;
}

}  // namespace wharf::api::elbv2
