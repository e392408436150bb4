// Target groups: CreateTargetGroup, DescribeTargetGroups, ModifyTargetGroup, DeleteTargetGroup,
// Describe/ModifyTargetGroupAttributes.
#include "api/elbv2/attributes.h"
#include "api/elbv2/handlers.h"

namespace wharf::api::elbv2 {

namespace {

constexpr std::string_view kDefaultVpcId = "vpc-0000000000000wharf";

std::optional<AwsError> CheckName(const std::string& name) {
  if (auto err = CheckResourceName("Target group", name)) return err;
  return std::nullopt;
}

// "200", "200,202", "200-299": codes 200 to 499.
bool IsHttpCodeMatcher(const std::string& matcher) {
  auto code = [](std::string_view s) {
    if (s.size() != 3 || !std::all_of(s.begin(), s.end(), [](char ch) {
          return std::isdigit(static_cast<unsigned char>(ch));
        }))
      return -1;
    int v = std::stoi(std::string(s));
    return v >= 200 && v <= 499 ? v : -1;
  };
  if (matcher.empty()) return false;
  size_t dash = matcher.find('-');
  if (dash != std::string::npos) {
    int lo = code(std::string_view(matcher).substr(0, dash)),
        hi = code(std::string_view(matcher).substr(dash + 1));
    return lo > 0 && hi > 0 && lo <= hi;
  }
  std::string_view rest = matcher;
  while (true) {
    size_t comma = rest.find(',');
    if (code(rest.substr(0, comma)) < 0) return false;
    if (comma == std::string_view::npos) return true;
    rest = rest.substr(comma + 1);
  }
}

// Applies the HealthCheck* members of a Create or Modify request to `tg` and checks the result.
std::optional<AwsError> ApplyHealthCheck(const json::object& in, json::object& tg) {
  if (Has(in, "HealthCheckProtocol")) {
    std::string p = GetString(in, "HealthCheckProtocol");
    if (p != "HTTP") {
      return InvalidConfiguration(
          "wharf supports only HTTP health checks; health check protocol '" + p +
          "' is not supported");
    }
    tg["HealthCheckProtocol"] = p;
  }
  if (Has(in, "HealthCheckPort")) {
    std::string port = GetString(in, "HealthCheckPort");
    if (port != "traffic-port") {
      char* end = nullptr;
      long v = std::strtol(port.c_str(), &end, 10);
      if (port.empty() || *end || v < 1 || v > 65535) {
        return ValidationError("Health check port '" + port +
                               "' must be 'traffic-port' or between 1 and 65535");
      }
    }
    tg["HealthCheckPort"] = port;
  }
  if (Has(in, "HealthCheckPath")) {
    std::string path = GetString(in, "HealthCheckPath");
    if (path.empty() || path[0] != '/')
      return ValidationError("Health check path must begin with '/'");
    tg["HealthCheckPath"] = path;
  }
  for (const char* field : {"HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds",
                            "HealthyThresholdCount", "UnhealthyThresholdCount"}) {
    if (auto v = GetInt(in, field)) tg[field] = *v;
  }
  if (auto enabled = GetBool(in, "HealthCheckEnabled")) tg["HealthCheckEnabled"] = *enabled;
  if (Has(in, "Matcher")) {
    const json::object& m = GetObject(in, "Matcher");
    if (Has(m, "GrpcCode"))
      return InvalidConfiguration("wharf does not support gRPC health checks");
    std::string code = GetString(m, "HttpCode");
    if (!IsHttpCodeMatcher(code)) {
      return ValidationError("Health check matcher HTTP code '" + code +
                             "' must be a code, a list of codes or a range between 200 and 499");
    }
    tg["Matcher"] = json::object{{"HttpCode", code}};
  }
  int64_t interval = GetInt(tg, "HealthCheckIntervalSeconds").value_or(30);
  int64_t timeout = GetInt(tg, "HealthCheckTimeoutSeconds").value_or(5);
  if (timeout >= interval) {
    return InvalidConfiguration("Health check timeout '" + std::to_string(timeout) +
                                "' must be smaller than the interval '" + std::to_string(interval) +
                                "'");
  }
  return std::nullopt;
}

// The settings that make two CreateTargetGroup calls "the same" (the call is idempotent).
bool SameSettings(json::object a, json::object b) {
  a.erase("TargetGroupArn");
  b.erase("TargetGroupArn");
  return a == b;
}

json::object Present(const json::object& record, const TargetGroupUsage& usage) {
  json::object tg = GetObject(record, "targetGroup");
  json::array lbs;
  auto it = usage.lbs_by_tg.find(GetString(tg, "TargetGroupArn"));
  if (it != usage.lbs_by_tg.end()) {
    for (const auto& arn : it->second) lbs.push_back(json::value(arn));
  }
  tg["LoadBalancerArns"] = std::move(lbs);
  return tg;
}

}  // namespace

Outcome UpdateTargetGroup(Context& c, const std::string& arn,
                          const std::function<std::optional<AwsError>(json::object&)>& change,
                          const std::function<Outcome(const json::object&)>& answer) {
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    Lookup tg = GetTargetGroup(c, arn);
    if (auto* err = std::get_if<AwsError>(&tg)) return *err;
    Record& record = std::get<Record>(tg);
    if (auto err = change(record.value)) return *err;
    ASSIGN_OR_FAIL(bool saved, SaveRecord(c.deps.store, record), Elbv2Error);
    if (!saved) return store::kConflict;
    c.Publish();
    return answer(record.value);
  }).value_or(TooManyConcurrentUpdates());
}

Outcome CreateTargetGroup(Context& c, const RequestContext&, object& in) {
  std::string name = GetString(in, "Name");
  if (auto err = CheckName(name)) return *err;
  std::string target_type = GetString(in, "TargetType", "instance");
  if (target_type == "lambda" || target_type == "alb") {
    return InvalidConfiguration("wharf does not support target type '" + target_type +
                                "'; use 'ip' or 'instance'");
  }
  std::string protocol = GetString(in, "Protocol");
  if (protocol.empty()) return ValidationError("A protocol must be specified");
  if (protocol != "HTTP") {
    return InvalidConfiguration("wharf supports only HTTP target groups; protocol '" + protocol +
                                "' is not supported");
  }
  auto port = GetInt(in, "Port");
  if (!port) return ValidationError("A port must be specified");
  std::string version = GetString(in, "ProtocolVersion", "HTTP1");
  if (version != "HTTP1") {
    return InvalidConfiguration("wharf supports only protocol version HTTP1; '" + version +
                                "' is not supported");
  }
  if (GetString(in, "IpAddressType", "ipv4") != "ipv4") {
    return InvalidConfiguration("wharf supports only IPv4 target groups");
  }
  if (auto err = CheckNewTags(GetArray(in, "Tags"))) return *err;
  json::object tg{
      {"TargetGroupArn", ArnPrefix(c.deps) + "targetgroup/" + name + "/" + c.NewHex(16)},
      {"TargetGroupName", name},
      {"Protocol", protocol},
      {"Port", *port},
      {"VpcId", GetString(in, "VpcId", kDefaultVpcId)},
      {"HealthCheckProtocol", "HTTP"},
      {"HealthCheckPort", "traffic-port"},
      {"HealthCheckEnabled", true},
      {"HealthCheckIntervalSeconds", 30},
      {"HealthCheckTimeoutSeconds", 5},
      {"HealthyThresholdCount", 5},
      {"UnhealthyThresholdCount", 2},
      {"HealthCheckPath", "/"},
      {"Matcher", json::object{{"HttpCode", "200"}}},
      {"TargetType", target_type},
      {"ProtocolVersion", version},
      {"IpAddressType", "ipv4"},
  };
  if (auto err = ApplyHealthCheck(in, tg)) return *err;
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    ASSIGN_OR_FAIL(auto found, ReadRecord(c.deps.store, TargetGroupKey(name)), Elbv2Error);
    if (found) {
      if (!SameSettings(GetObject(found->value, "targetGroup"), tg)) {
        return AwsError::Client(
            "DuplicateTargetGroupName",
            "A target group with the same name '" + name + "' exists, but with different settings");
      }
      ASSIGN_OR_FAIL(TargetGroupUsage usage, ReadTargetGroupUsage(c.deps.store), Elbv2Error);
      return json::object{{"TargetGroups", json::array{Present(found->value, usage)}}};
    }
    json::object record{{"targetGroup", tg},
                        {"attributes", DefaultAttributes(AttributeOwner::kTargetGroup)},
                        {"tags", GetArray(in, "Tags")},
                        {"targets", json::array()}};
    std::string key = TargetGroupKey(name);
    ASSIGN_OR_FAIL(
        bool saved,
        CommitTxn(c.deps.store, store::Txn{{{key, 0}}, {store::Op::Put(key, Serialize(record))}}),
        Elbv2Error);
    if (!saved) return store::kConflict;
    c.Publish();
    return json::object{{"TargetGroups", json::array{Present(record, TargetGroupUsage{})}}};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeTargetGroups(Context& c, const RequestContext&, object& in) {
  const json::array& arns = GetArray(in, "TargetGroupArns");
  const json::array& names = GetArray(in, "Names");
  std::string lb_arn = GetString(in, "LoadBalancerArn");
  if ((!arns.empty()) + (!names.empty()) + (!lb_arn.empty()) > 1) {
    return ValidationError(
        "Only one of LoadBalancerArn, TargetGroupArns and Names can be specified");
  }
  ASSIGN_OR_FAIL(TargetGroupUsage usage, ReadTargetGroupUsage(c.deps.store), Elbv2Error);
  json::array out;
  if (!arns.empty()) {
    for (const auto& arn : arns) {
      Lookup tg = GetTargetGroup(c, arn.get_string());
      if (auto* err = std::get_if<AwsError>(&tg)) return *err;
      out.push_back(Present(std::get<Record>(tg).value, usage));
    }
    return json::object{{"TargetGroups", std::move(out)}};
  }
  if (!names.empty()) {
    std::string missing;
    for (const auto& n : names) {
      ASSIGN_OR_FAIL(auto found, ReadRecord(c.deps.store, TargetGroupKey(n.get_string())),
                     Elbv2Error);
      if (!found) {
        missing += (missing.empty() ? "" : ", ") + std::string(n.get_string());
        continue;
      }
      out.push_back(Present(found->value, usage));
    }
    if (!missing.empty()) return TargetGroupNotFound("Target groups '[" + missing + "]' not found");
    return json::object{{"TargetGroups", std::move(out)}};
  }
  if (!lb_arn.empty()) {
    Lookup lb = GetLoadBalancer(c, lb_arn);
    if (auto* err = std::get_if<AwsError>(&lb)) return *err;
  }
  std::string after;
  if (Has(in, "Marker")) {
    auto marker = ReadMarker(GetString(in, "Marker"));
    if (!marker || marker->rfind(kTargetGroupsPrefix, 0) != 0)
      return ValidationError("Invalid marker");
    after = *marker;
  }
  size_t page_size = static_cast<size_t>(GetInt(in, "PageSize").value_or(400));
  // Filtering by load balancer skips groups, so read pages until this one is full.
  std::string last;
  bool more = false;
  while (!more) {
    ASSIGN_OR_FAIL(store::Page page, c.deps.store.List(kTargetGroupsPrefix, after, 100),
                   Elbv2Error);
    for (const auto& kv : page.items) {
      if (out.size() == page_size) {
        more = true;
        break;
      }
      after = kv.key;
      ASSIGN_OR_FAIL(json::object record, ParseObject(kv.value), Elbv2Error);
      json::object tg = Present(record, usage);
      if (!lb_arn.empty()) {
        bool used = false;
        for (const auto& l : tg["LoadBalancerArns"].as_array())
          used = used || l.get_string() == lb_arn;
        if (!used) continue;
      }
      out.push_back(std::move(tg));
      last = kv.key;
    }
    if (!page.more) break;
  }
  json::object result{{"TargetGroups", std::move(out)}};
  if (more) result["NextMarker"] = MakeMarker(last);
  return result;
}

Outcome ModifyTargetGroup(Context& c, const RequestContext&, object& in) {
  return UpdateTargetGroup(
      c, GetString(in, "TargetGroupArn"),
      [&](json::object& record) { return ApplyHealthCheck(in, record["targetGroup"].as_object()); },
      [&](const json::object& record) -> Outcome {
        ASSIGN_OR_FAIL(TargetGroupUsage usage, ReadTargetGroupUsage(c.deps.store), Elbv2Error);
        return json::object{{"TargetGroups", json::array{Present(record, usage)}}};
      });
}

Outcome DeleteTargetGroup(Context& c, const RequestContext&, object& in) {
  std::string arn = GetString(in, "TargetGroupArn");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    Lookup tg = GetTargetGroup(c, arn);
    if (auto* err = std::get_if<AwsError>(&tg)) {
      // Deleting a target group that does not exist succeeds, as on AWS.
      return err->code == "TargetGroupNotFound" ? Outcome(json::object{}) : Outcome(*err);
    }
    Record& record = std::get<Record>(tg);
    ASSIGN_OR_FAIL(TargetGroupUsage usage, ReadTargetGroupUsage(c.deps.store), Elbv2Error);
    if (auto it = usage.lbs_by_tg.find(arn); it != usage.lbs_by_tg.end() && !it->second.empty()) {
      return AwsError::Client("ResourceInUse", "Target group '" + arn +
                                                   "' is currently in use by a listener or a rule");
    }
    // A listener or rule that starts forwarding here rewrites this record, so this compare
    // fails if one did since the usage was read.
    ASSIGN_OR_FAIL(bool deleted,
                   CommitTxn(c.deps.store, store::Txn{{{record.key, record.mod_revision}},
                                                      {store::Op::Delete(record.key)}}),
                   Elbv2Error);
    if (!deleted) return store::kConflict;
    c.Publish();
    return json::object{};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeTargetGroupAttributes(Context& c, const RequestContext&, object& in) {
  return DescribeAttributesOf(GetTargetGroup(c, GetString(in, "TargetGroupArn")));
}

Outcome ModifyTargetGroupAttributes(Context& c, const RequestContext&, object& in) {
  return UpdateTargetGroup(
      c, GetString(in, "TargetGroupArn"),
      [&](json::object& record) -> std::optional<AwsError> {
        json::object attributes = GetObject(record, "attributes");
        if (auto err = ApplyAttributes(AttributeOwner::kTargetGroup, GetArray(in, "Attributes"),
                                       attributes)) {
          return err;
        }
        if (GetString(attributes, "stickiness.type") == "app_cookie" &&
            GetString(attributes, "stickiness.enabled") == "true" &&
            GetString(attributes, "stickiness.app_cookie.cookie_name").empty()) {
          return InvalidConfiguration(
              "An application cookie name must be specified for app_cookie stickiness");
        }
        record["attributes"] = std::move(attributes);
        return std::nullopt;
      },
      [](const json::object& record) -> Outcome {
        return json::object{{"Attributes", AttributeList(GetObject(record, "attributes"))}};
      });
}

}  // namespace wharf::api::elbv2
