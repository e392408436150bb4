#include "model/target_group.h"

#include <boost/json/array.hpp>
#include <cstdlib>

#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;

namespace {

RegisteredTarget FromJson(const json::object& t) {
  return RegisteredTarget{GetString(t, "Id"), static_cast<int>(GetInt(t, "Port").value_or(0)),
                          GetString(t, "AvailabilityZone"), GetInt(t, "drainDeadlineMs")};
}

json::array& TargetsOf(json::object& record) {
  json::value& targets = record["targets"];
  if (!targets.is_array()) targets = json::array();
  return targets.as_array();
}

}  // namespace

const json::object& TargetGroupRecord::shape() const { return GetObject(record_, "targetGroup"); }
std::string TargetGroupRecord::arn() const { return GetString(shape(), "TargetGroupArn"); }
std::string TargetGroupRecord::name() const { return GetString(shape(), "TargetGroupName"); }
std::string TargetGroupRecord::protocol() const { return GetString(shape(), "Protocol", "HTTP"); }
int TargetGroupRecord::port() const { return static_cast<int>(GetInt(shape(), "Port").value_or(80)); }
std::string TargetGroupRecord::target_type() const { return GetString(shape(), "TargetType", "instance"); }

std::string TargetGroupRecord::attribute(std::string_view key, std::string_view fallback) const {
  return GetString(GetObject(record_, "attributes"), key, fallback);
}

int64_t TargetGroupRecord::deregistration_delay_ms() const {
  return std::atoll(attribute("deregistration_delay.timeout_seconds", "300").c_str()) * 1000;
}

std::vector<RegisteredTarget> TargetGroupRecord::targets(std::optional<int64_t> now_ms) const {
  std::vector<RegisteredTarget> out;
  for (const auto& t : GetArray(record_, "targets")) {
    if (!t.is_object()) continue;
    RegisteredTarget target = FromJson(t.get_object());
    if (now_ms && target.DrainedBy(*now_ms)) continue;
    out.push_back(std::move(target));
  }
  return out;
}

bool ForgetDrainedTargets(json::object& record, int64_t now_ms) {
  json::array& targets = TargetsOf(record);
  json::array kept;
  for (auto& t : targets) {
    if (t.is_object() && FromJson(t.get_object()).DrainedBy(now_ms)) continue;
    kept.push_back(std::move(t));
  }
  bool changed = kept.size() != targets.size();
  targets = std::move(kept);
  return changed;
}

bool RegisterTarget(json::object& record, const RegisteredTarget& target) {
  json::object entry{{"Id", target.id}, {"Port", target.port}};
  if (!target.availability_zone.empty()) entry["AvailabilityZone"] = target.availability_zone;
  json::array& targets = TargetsOf(record);
  for (auto& t : targets) {
    if (!t.is_object()) continue;
    RegisteredTarget existing = FromJson(t.get_object());
    if (existing.id != target.id || existing.port != target.port) continue;
    if (target.availability_zone.empty() && !existing.availability_zone.empty()) {
      entry["AvailabilityZone"] = existing.availability_zone;  // the service controller names none
    }
    bool changed = t.get_object() != entry;
    t = std::move(entry);
    return changed;
  }
  targets.push_back(std::move(entry));
  return true;
}

int DeregisterTarget(json::object& record, std::string_view id, std::optional<int> port, int64_t now_ms) {
  int64_t deadline = now_ms + TargetGroupRecord(record).deregistration_delay_ms();
  int matched = 0;
  for (auto& t : TargetsOf(record)) {
    if (!t.is_object()) continue;
    json::object& entry = t.get_object();
    RegisteredTarget existing = FromJson(entry);
    if (existing.id != id || (port && existing.port != *port)) continue;
    ++matched;
    if (!existing.draining()) entry["drainDeadlineMs"] = deadline;
  }
  return matched;
}

}  // namespace wharf::model
