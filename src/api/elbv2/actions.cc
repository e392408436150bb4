// Actions and rule conditions: validated with AWS's limits and filled in as Describe shows them.
#include <arpa/inet.h>

#include <algorithm>
#include <set>

#include "api/elbv2/handlers.h"

namespace wharf::api::elbv2 {

namespace {

constexpr int kMaxConditionValues = 5;
constexpr size_t kMaxForwardTargetGroups = 5;

AwsError InvalidAction(std::string message) {
  return AwsError::Client("InvalidLoadBalancerAction", std::move(message));
}

bool IsTerminal(std::string_view type) {
  return type == "forward" || type == "redirect" || type == "fixed-response";
}

std::variant<json::object, AwsError> CheckForward(const json::object& action) {
  std::string single = GetString(action, "TargetGroupArn");
  const json::object& config = GetObject(action, "ForwardConfig");
  const json::array& groups = GetArray(config, "TargetGroups");
  if (single.empty() && groups.empty()) {
    return ValidationError("A target group ARN must be specified for a forward action");
  }
  if (groups.size() > kMaxForwardTargetGroups) {
    return ValidationError("A forward action can have at most 5 target groups");
  }
  json::array tuples;
  std::set<std::string> seen;
  for (const auto& g : groups) {
    const json::object& tuple = g.get_object();
    std::string arn = GetString(tuple, "TargetGroupArn");
    if (arn.empty())
      return ValidationError("A target group ARN must be specified in a forward config");
    if (!seen.insert(arn).second) {
      return ValidationError("Target group '" + arn +
                             "' is specified more than once in the forward config");
    }
    int64_t weight = GetInt(tuple, "Weight").value_or(1);
    if (weight < 0 || weight > 999) {
      return ValidationError("Target group weights must be between 0 and 999");
    }
    tuples.push_back(json::object{{"TargetGroupArn", arn}, {"Weight", weight}});
  }
  if (!single.empty()) {
    if (tuples.empty()) {
      tuples.push_back(json::object{{"TargetGroupArn", single}, {"Weight", 1}});
    } else if (tuples.size() != 1 ||
               GetString(tuples[0].get_object(), "TargetGroupArn") != single) {
      return ValidationError(
          "You cannot specify a target group ARN and a forward config with "
          "different target groups");
    }
  }
  const json::object& sticky = GetObject(config, "TargetGroupStickinessConfig");
  json::object stickiness{{"Enabled", GetBool(sticky, "Enabled").value_or(false)}};
  if (auto d = GetInt(sticky, "DurationSeconds")) {
    if (*d < 1 || *d > 604800) {
      return ValidationError(
          "Target group stickiness duration must be between 1 and 604800 seconds");
    }
    stickiness["DurationSeconds"] = *d;
  } else if (stickiness["Enabled"].as_bool()) {
    return ValidationError(
        "A stickiness duration must be specified when target group stickiness is enabled");
  }
  json::object out{{"Type", "forward"}};
  if (tuples.size() == 1)
    out["TargetGroupArn"] = GetString(tuples[0].get_object(), "TargetGroupArn");
  out["ForwardConfig"] = json::object{{"TargetGroups", std::move(tuples)},
                                      {"TargetGroupStickinessConfig", std::move(stickiness)}};
  return out;
}

std::variant<json::object, AwsError> CheckRedirect(const json::object& action) {
  if (!Has(action, "RedirectConfig")) {
    return ValidationError("A redirect configuration must be specified for a redirect action");
  }
  const json::object& in = GetObject(action, "RedirectConfig");
  json::object config{
      {"Protocol", GetString(in, "Protocol", "#{protocol}")},
      {"Port", GetString(in, "Port", "#{port}")},
      {"Host", GetString(in, "Host", "#{host}")},
      {"Path", GetString(in, "Path", "/#{path}")},
      {"Query", GetString(in, "Query", "#{query}")},
      {"StatusCode", GetString(in, "StatusCode")},
  };
  std::string protocol = GetString(config, "Protocol");
  if (protocol != "#{protocol}" && protocol != "HTTP" && protocol != "HTTPS") {
    return ValidationError("The redirect protocol must be HTTP, HTTPS or #{protocol}");
  }
  std::string port = GetString(config, "Port");
  if (port != "#{port}") {
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end || p < 1 || p > 65535) {
      return ValidationError("The redirect port must be between 1 and 65535, or #{port}");
    }
  }
  if (GetString(config, "Path").empty() || GetString(config, "Path")[0] != '/') {
    return ValidationError("The redirect path must start with '/'");
  }
  if (protocol == "#{protocol}" && port == "#{port}" && GetString(config, "Host") == "#{host}" &&
      GetString(config, "Path") == "/#{path}") {
    return InvalidAction(
        "The redirect configuration is not valid: it redirects to the request's own "
        "URL. Change at least one of the protocol, port, host or path");
  }
  json::object out{{"Type", "redirect"}, {"RedirectConfig", std::move(config)}};
  return out;
}

std::variant<json::object, AwsError> CheckFixedResponse(const json::object& action) {
  if (!Has(action, "FixedResponseConfig")) {
    return ValidationError(
        "A fixed response configuration must be specified for a fixed-response action");
  }
  const json::object& in = GetObject(action, "FixedResponseConfig");
  std::string status = GetString(in, "StatusCode");
  if (status.size() != 3 || (status[0] != '2' && status[0] != '4' && status[0] != '5') ||
      !std::isdigit(static_cast<unsigned char>(status[1])) ||
      !std::isdigit(static_cast<unsigned char>(status[2]))) {
    return ValidationError("The fixed response status code must be a 2XX, 4XX or 5XX code");
  }
  json::object config{{"StatusCode", status}};
  if (Has(in, "ContentType")) {
    std::string type = GetString(in, "ContentType");
    static const std::set<std::string> kTypes = {"text/plain", "text/css", "text/html",
                                                 "application/javascript", "application/json"};
    if (!kTypes.contains(type)) {
      return ValidationError(
          "The fixed response content type must be one of text/plain, text/css, "
          "text/html, application/javascript, application/json");
    }
    config["ContentType"] = type;
  }
  if (Has(in, "MessageBody")) config["MessageBody"] = GetString(in, "MessageBody");
  return json::object{{"Type", "fixed-response"}, {"FixedResponseConfig", std::move(config)}};
}

}  // namespace

std::variant<CheckedActions, AwsError> CheckActions(Context& c, const json::array& actions,
                                                    const std::string& lb_arn) {
  if (actions.empty()) return ValidationError("At least one action must be specified");
  CheckedActions out;
  int terminal = 0;
  std::set<int64_t> orders;
  for (const auto& a : actions) {
    const json::object& action = a.get_object();
    std::string type = GetString(action, "Type");
    std::variant<json::object, AwsError> checked = AwsError{};
    if (type == "forward") {
      checked = CheckForward(action);
    } else if (type == "redirect") {
      checked = CheckRedirect(action);
    } else if (type == "fixed-response") {
      checked = CheckFixedResponse(action);
    } else {
      return InvalidAction("wharf does not support '" + type +
                           "' actions: they need an HTTPS listener, "
                           "and wharf's listeners are HTTP only");
    }
    if (auto* err = std::get_if<AwsError>(&checked)) return *err;
    json::object& shown = std::get<json::object>(checked);
    if (auto order = GetInt(action, "Order")) {
      if (!orders.insert(*order).second) return ValidationError("Action orders must be unique");
      shown["Order"] = *order;
    }
    if (IsTerminal(type)) ++terminal;
    out.actions.push_back(std::move(shown));
  }
  if (terminal != 1) {
    return InvalidAction(
        "A listener or rule must have exactly one forward, redirect or fixed-response action");
  }
  std::vector<std::string> groups = ForwardedTargetGroups(out.actions);
  if (groups.empty()) return out;
  ASSIGN_OR_FAIL(TargetGroupUsage usage, ReadTargetGroupUsage(c.deps.store), Elbv2Error);
  for (const auto& arn : groups) {
    Lookup tg = GetTargetGroup(c, arn);
    if (auto* err = std::get_if<AwsError>(&tg)) return *err;
    Record& record = std::get<Record>(tg);
    const json::object& group = GetObject(record.value, "targetGroup");
    if (GetString(group, "Protocol") != "HTTP" && GetString(group, "Protocol") != "HTTPS") {
      return AwsError::Client("IncompatibleProtocols",
                              "Target group '" + arn + "' has protocol '" +
                                  GetString(group, "Protocol") +
                                  "', which is not compatible with an application load balancer");
    }
    for (const auto& other : usage.lbs_by_tg[arn]) {
      if (other != lb_arn) {
        return AwsError::Client(
            "TargetGroupAssociationLimit",
            "The following target groups cannot be associated with more than one "
            "load balancer: " +
                arn);
      }
    }
    out.target_groups.push_back(std::move(record));
  }
  return out;
}

namespace {

struct FieldSpec {
  std::string_view field, config;
  bool unique;         // at most one condition of this field per rule
  bool legacy_values;  // may use the top-level Values
};
constexpr FieldSpec kFields[] = {
    {"host-header", "HostHeaderConfig", true, true},
    {"path-pattern", "PathPatternConfig", true, true},
    {"http-header", "HttpHeaderConfig", false, false},
    {"http-request-method", "HttpRequestMethodConfig", true, false},
    {"query-string", "QueryStringConfig", false, false},
    {"source-ip", "SourceIpConfig", true, false},
};

bool AllOf(std::string_view s, std::string_view allowed_extra) {
  return std::all_of(s.begin(), s.end(), [&](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) ||
           allowed_extra.find(ch) != std::string_view::npos;
  });
}

bool IsCidr(const std::string& value) {
  size_t slash = value.find('/');
  if (slash == std::string::npos) return false;
  std::string ip = value.substr(0, slash), bits = value.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 || !AllOf(bits, "")) return false;
  int n = std::stoi(bits);
  unsigned char buf[16];
  if (inet_pton(AF_INET, ip.c_str(), buf) == 1) return n <= 32;
  if (inet_pton(AF_INET6, ip.c_str(), buf) == 1) return n <= 128;
  return false;
}

std::optional<AwsError> CheckValue(std::string_view field, const std::string& v) {
  if (v.empty()) return ValidationError("Condition values must not be empty");
  if (field == "host-header") {
    if (v.size() > 128 || !AllOf(v, "-.*?")) {
      return ValidationError("The host header condition value '" + v +
                             "' is not valid: up to 128 "
                             "characters among A-Z, a-z, 0-9, - . * ?");
    }
  } else if (field == "path-pattern") {
    if (v.size() > 128 || !AllOf(v, "_-.$/~\"'@:+&*?")) {
      return ValidationError("The path pattern condition value '" + v +
                             "' is not valid: up to 128 "
                             "characters among A-Z, a-z, 0-9, _ - . $ / ~ \" ' @ : + & * ?");
    }
  } else if (field == "http-request-method") {
    if (v.size() > 40 || !std::all_of(v.begin(), v.end(), [](char ch) {
          return (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '-';
        })) {
      return ValidationError("The HTTP request method '" + v +
                             "' is not valid: up to 40 characters "
                             "among A-Z, _ and -");
    }
  } else if (field == "source-ip") {
    if (!IsCidr(v)) return ValidationError("The source IP '" + v + "' is not a valid CIDR block");
  } else if (v.size() > 128) {
    return ValidationError("Condition values can be at most 128 characters long");
  }
  return std::nullopt;
}

std::vector<std::string> Strings(const json::array& a) {
  std::vector<std::string> out;
  for (const auto& v : a) {
    if (v.is_string()) out.emplace_back(v.get_string());
  }
  return out;
}

json::array ToArray(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.push_back(json::value(s));
  return out;
}

}  // namespace

std::variant<json::array, AwsError> CheckConditions(const json::array& conditions) {
  json::array out;
  std::set<std::string_view> used;
  int total_values = 0;
  for (const auto& item : conditions) {
    const json::object& cond = item.get_object();
    std::string field = GetString(cond, "Field");
    const FieldSpec* spec = nullptr;
    for (const auto& f : kFields) {
      if (f.field == field) spec = &f;
    }
    if (!spec) {
      return ValidationError(
          "Condition field '" + field +
          "' must be one of '[http-header, "
          "http-request-method, host-header, path-pattern, query-string, source-ip]'");
    }
    for (const auto& f : kFields) {
      if (f.field != field && Has(cond, f.config)) {
        return ValidationError("A '" + field + "' condition cannot have a " +
                               std::string(f.config));
      }
    }
    if (Has(cond, "RegexValues")) {
      return ValidationError(
          "wharf does not support regular-expression condition values (RegexValues)");
    }
    if (spec->unique && !used.insert(spec->field).second) {
      return ValidationError("A rule can have only one '" + field + "' condition");
    }
    bool legacy = Has(cond, "Values") && !GetArray(cond, "Values").empty();
    bool configured = Has(cond, spec->config);
    if (legacy && !spec->legacy_values) {
      return ValidationError("A '" + field + "' condition takes its values in " +
                             std::string(spec->config) + ", not in Values");
    }
    if (legacy && configured) {
      return ValidationError("You cannot specify both Values and " + std::string(spec->config) +
                             " in a '" + field + "' condition");
    }
    const json::object& config = GetObject(cond, spec->config);
    json::object shown{{"Field", field}};
    if (field == "query-string") {
      json::array pairs;
      for (const auto& p : GetArray(config, "Values")) {
        const json::object& pair = p.get_object();
        std::string value = GetString(pair, "Value");
        if (auto err = CheckValue(field, value)) return *err;
        if (GetString(pair, "Key").size() > 128)
          return ValidationError("Query string keys can be at most 128 characters long");
        json::object kv{{"Value", value}};
        if (Has(pair, "Key")) kv["Key"] = GetString(pair, "Key");
        pairs.push_back(std::move(kv));
      }
      if (pairs.empty())
        return ValidationError("A 'query-string' condition must have at least one value");
      total_values += static_cast<int>(pairs.size());
      shown["QueryStringConfig"] = json::object{{"Values", std::move(pairs)}};
    } else {
      std::vector<std::string> values =
          Strings(legacy ? GetArray(cond, "Values") : GetArray(config, "Values"));
      if (values.empty())
        return ValidationError("A '" + field + "' condition must have at least one value");
      for (const auto& v : values) {
        if (auto err = CheckValue(field, v)) return *err;
      }
      total_values += static_cast<int>(values.size());
      json::object shown_config{{"Values", ToArray(values)}};
      if (field == "http-header") {
        std::string name = GetString(config, "HttpHeaderName");
        if (name.empty() || name.size() > 40 || !AllOf(name, "!#$%&'*+-.^_`|~")) {
          return ValidationError("The HTTP header name '" + name + "' is not valid");
        }
        shown_config = json::object{{"HttpHeaderName", name}, {"Values", ToArray(values)}};
      }
      if (spec->legacy_values) shown["Values"] = ToArray(values);
      shown[spec->config] = std::move(shown_config);
    }
    out.push_back(std::move(shown));
  }
  if (total_values > kMaxConditionValues) {
    return ValidationError("A rule can have at most '5' condition values in total; this one has '" +
                           std::to_string(total_values) + "'");
  }
  return out;
}

void TouchRecords(const std::vector<Record>& records, store::Txn& txn) {
  for (const auto& r : records) {
    txn.compares.push_back(store::Compare{r.key, r.mod_revision});
    txn.ops.push_back(store::Op::Put(r.key, Serialize(r.value)));
  }
}

void DeleteRecords(const std::vector<Record>& records, store::Txn& txn) {
  for (const auto& r : records) {
    txn.compares.push_back(store::Compare{r.key, r.mod_revision});
    txn.ops.push_back(store::Op::Delete(r.key));
  }
}

}  // namespace wharf::api::elbv2
