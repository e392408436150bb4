// ELBv2 target group records: elbv2/target-groups/<name> holds
//   {"targetGroup": <TargetGroup shape>, "attributes": {<key>: <value>}, "tags": [...],
//    "targets": [{"Id", "Port", "AvailabilityZone", "drainDeadlineMs"}]}
// (docs/STATE.md). A deregistered target stays in "targets", draining, until its
// drainDeadlineMs; after that it is drained and the next change forgets it.
//
// TargetGroupRecord is the typed view; RegisterTarget/DeregisterTarget are the one way the
// API (Register/DeregisterTargets) and the service controller change the targets. Pure.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wharf::model {

struct RegisteredTarget {
  std::string id;    // an IPv4 address, or an EC2 instance id (an ECS node)
  int port = 0;
  std::string availability_zone;              // as registered; empty when not given
  std::optional<int64_t> drain_deadline_ms;   // set once deregistered

  bool draining() const { return drain_deadline_ms.has_value(); }
  bool DrainedBy(int64_t now_ms) const { return drain_deadline_ms && *drain_deadline_ms <= now_ms; }
};

// A view: `record` must outlive it.
class TargetGroupRecord {
 public:
  explicit TargetGroupRecord(const boost::json::object& record) : record_(record) {}

  const boost::json::object& shape() const;  // the TargetGroup shape
  std::string arn() const;
  std::string name() const;
  std::string protocol() const;     // HTTP when not set
  int port() const;                 // 80 when not set
  std::string target_type() const;  // instance when not set
  // An attribute's value as stored (ELBv2 attributes are strings), or `fallback`.
  std::string attribute(std::string_view key, std::string_view fallback = "") const;
  int64_t deregistration_delay_ms() const;  // deregistration_delay.timeout_seconds, 300 s by default
  // Every stored target, draining ones included; `now_ms` given: those drained by then left out.
  std::vector<RegisteredTarget> targets(std::optional<int64_t> now_ms = std::nullopt) const;

 private:
  const boost::json::object& record_;
};

// Forgets the targets drained by `now_ms`; true when one was.
bool ForgetDrainedTargets(boost::json::object& record, int64_t now_ms);
// Registers `target` (its deadline ignored); registering a draining target again takes it
// back. True when the record changed.
bool RegisterTarget(boost::json::object& record, const RegisteredTarget& target);
// Starts draining the targets with `id` (and `port`, when given) that are not draining yet:
// they leave at now + the group's deregistration delay. Answers how many targets matched,
// draining or not (0: the target is not registered).
int DeregisterTarget(boost::json::object& record, std::string_view id, std::optional<int> port, int64_t now_ms);

}  // namespace wharf::model
