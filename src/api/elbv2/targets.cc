// Targets: RegisterTargets, DeregisterTargets, DescribeTargetHealth.
#include <arpa/inet.h>

#include "api/elbv2/handlers.h"
#include "model/target_group.h"

namespace wharf::api::elbv2 {

namespace {

constexpr size_t kMaxTargetsPerGroup = 1000;

bool IsIpv4(const std::string& s) {
  unsigned char buf[4];
  return inet_pton(AF_INET, s.c_str(), buf) == 1;
}

Outcome ChangeTargets(
    Context& c, object& in,
    const std::function<std::optional<AwsError>(json::object& record, int64_t now_ms)>& change) {
  auto with_drained_forgotten = [&](json::object& record) {
    int64_t now_ms = NowMs(c);
    model::ForgetDrainedTargets(record, now_ms);
    return change(record, now_ms);
  };
  return UpdateTargetGroup(c, GetString(in, "TargetGroupArn"), with_drained_forgotten,
                           [](const json::object&) -> Outcome { return json::object{}; });
}

}  // namespace

Outcome RegisterTargets(Context& c, const RequestContext&, object& in) {
  return ChangeTargets(
      c, in,
      [&](json::object& record, int64_t) -> std::optional<AwsError> {
        model::TargetGroupRecord group(record);
        for (const auto& t : GetArray(in, "Targets")) {
          const json::object& target = t.get_object();
          std::string id = GetString(target, "Id");
          int port = static_cast<int>(GetInt(target, "Port").value_or(group.port()));
          bool instance = group.target_type() == "instance" && id.rfind("i-", 0) == 0;
          if (instance) {
            // The instances are the ECS nodes; only those this server reaches can take traffic.
            if (!c.deps.instance_address || !c.deps.instance_address(id)) {
              return AwsError::Client(
                  "InvalidTarget",
                  "The following targets are not in a running state and cannot be registered: '" + id + "'");
            }
          } else if (!IsIpv4(id)) {
            return AwsError::Client("InvalidTarget",
                                    "The IP address '" + id + "' is not a valid IPv4 address");
          }
          model::RegisterTarget(record, {id, port, GetString(target, "AvailabilityZone"), std::nullopt});
        }
        if (GetArray(record, "targets").size() > kMaxTargetsPerGroup) {
          return AwsError::Client(
              "TooManyTargets",
              "You've reached the limit on the number of targets per target group");
        }
        return std::nullopt;
      });
}

Outcome DeregisterTargets(Context& c, const RequestContext&, object& in) {
  return ChangeTargets(
      c, in,
      [&](json::object& record, int64_t now_ms) -> std::optional<AwsError> {
        for (const auto& t : GetArray(in, "Targets")) {
          const json::object& target = t.get_object();
          std::string id = GetString(target, "Id");
          auto port = GetInt(target, "Port");
          if (model::DeregisterTarget(record, id, port ? std::optional<int>(static_cast<int>(*port)) : std::nullopt,
                                      now_ms) == 0) {
            return AwsError::Client("InvalidTarget",
                                    "The following targets are not registered in target group '" +
                                        model::TargetGroupRecord(record).arn() + "': '" + id + "'");
          }
        }
        return std::nullopt;
      });
}

Outcome DescribeTargetHealth(Context& c, const RequestContext&, object& in) {
  Lookup found = GetTargetGroup(c, GetString(in, "TargetGroupArn"));
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  const json::object& record = std::get<Record>(found).value;
  const json::object& tg = GetObject(record, "targetGroup");
  std::string arn = GetString(tg, "TargetGroupArn");
  ASSIGN_OR_FAIL(TargetGroupUsage usage, ReadTargetGroupUsage(c.deps.store), Elbv2Error);
  bool in_use = usage.lbs_by_tg.contains(arn) && !usage.lbs_by_tg[arn].empty();
  std::vector<lb::TargetHealth> health = c.deps.data_plane.Health(arn);
  int64_t now_ms = NowMs(c);
  std::string hc_port = GetString(tg, "HealthCheckPort", "traffic-port");

  auto describe = [&](const std::string& id, int64_t port, const model::RegisteredTarget* stored) {
    json::object target{{"Id", id}, {"Port", port}};
    if (stored && !stored->availability_zone.empty()) target["AvailabilityZone"] = stored->availability_zone;
    json::object state;
    if (!stored) {
      state = {{"State", "unused"},
               {"Reason", "Target.NotRegistered"},
               {"Description", "Target is not registered to the target group"}};
    } else if (stored->draining()) {
      state = {{"State", "draining"},
               {"Reason", "Target.DeregistrationInProgress"},
               {"Description", "Target deregistration is in progress"}};
    } else if (!in_use) {
      state = {{"State", "unused"},
               {"Reason", "Target.NotInUse"},
               {"Description",
                "Target group is not configured to receive traffic from the load balancer"}};
    } else if (!GetBool(tg, "HealthCheckEnabled").value_or(true)) {
      state = {{"State", "unavailable"},
               {"Reason", "Target.HealthCheckDisabled"},
               {"Description", "Health checks are disabled"}};
    } else {
      state = {{"State", "initial"},
               {"Reason", "Elb.RegistrationInProgress"},
               {"Description", "Target registration is in progress"}};
      for (const auto& h : health) {
        if (h.target_id != id || h.port != port) continue;
        state = {{"State", h.state}};
        if (!h.reason.empty()) state["Reason"] = h.reason;
        if (!h.description.empty()) state["Description"] = h.description;
      }
    }
    return json::object{
        {"Target", std::move(target)},
        {"HealthCheckPort", hc_port == "traffic-port" ? std::to_string(port) : hc_port},
        {"TargetHealth", std::move(state)}};
  };

  std::vector<model::RegisteredTarget> live = model::TargetGroupRecord(record).targets(now_ms);
  json::array out;
  const json::array& asked = GetArray(in, "Targets");
  if (asked.empty()) {
    for (const auto& t : live) out.push_back(describe(t.id, t.port, &t));
  } else {
    for (const auto& a : asked) {
      const json::object& want = a.get_object();
      std::string id = GetString(want, "Id");
      auto port = GetInt(want, "Port");
      bool any = false;
      for (const auto& t : live) {
        if (t.id == id && (!port || t.port == *port)) {
          out.push_back(describe(id, t.port, &t));
          any = true;
        }
      }
      if (!any)
        out.push_back(describe(id, port.value_or(GetInt(tg, "Port").value_or(80)), nullptr));
    }
  }
  return json::object{{"TargetHealthDescriptions", std::move(out)}};
}

}  // namespace wharf::api::elbv2
