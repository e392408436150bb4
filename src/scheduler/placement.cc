#include "scheduler/placement.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <utility>

namespace wharf::scheduler {
namespace {

constexpr size_t kMaxConstraints = 10;  // RunTask/CreateService: "up to 10 constraints"
constexpr size_t kMaxStrategies = 5;    // "a maximum of 5 strategy rules"

constexpr const char* kResourceCpu = "RESOURCE:CPU";
constexpr const char* kResourceMemory = "RESOURCE:MEMORY";
constexpr const char* kResourcePorts = "RESOURCE:PORTS";
constexpr const char* kAgent = "AGENT";
constexpr const char* kAttribute = "ATTRIBUTE";
constexpr const char* kMemberOf = "MemberOf placement constraint unsatisfied.";
constexpr const char* kDistinctInstance = "DistinctInstance placement constraint unsatisfied.";

struct ParsedStrategy {
  enum class Kind { kBinpackCpu, kBinpackMemory, kSpreadInstance, kSpreadAttribute, kRandom };
  Kind kind = Kind::kRandom;
  std::string attribute;  // kSpreadAttribute
};

struct ParsedConstraints {
  bool distinct_instance = false;
  std::vector<ClusterQuery> fixed;    // answers do not change while placing: evaluated once
  std::vector<ClusterQuery> dynamic;  // task:group, runningTasksCount: evaluated every time
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<ParsedConstraints> ParseConstraints(const std::vector<Constraint>& constraints) {
  if (constraints.size() > kMaxConstraints)
    return Status::InvalidArgument("You can specify up to 10 placement constraints for a task.");
  ParsedConstraints out;
  for (const auto& c : constraints) {
    if (c.type == "distinctInstance") {
      if (!c.expression.empty())
        return Status::InvalidArgument(
            "You cannot specify an expression if the constraint type is distinctInstance.");
      out.distinct_instance = true;
    } else if (c.type == "memberOf") {
      if (c.expression.empty())
        return Status::InvalidArgument("An expression is required for a memberOf constraint.");
      ASSIGN_OR_RETURN(ClusterQuery q, ClusterQuery::Parse(c.expression));
      (q.DependsOnTasks() ? out.dynamic : out.fixed).push_back(std::move(q));
    } else {
      return Status::InvalidArgument("Invalid placement constraint type '" + c.type +
                                     "'. Valid values are distinctInstance and memberOf.");
    }
  }
  return out;
}

Result<std::vector<ParsedStrategy>> ParseStrategies(const std::vector<Strategy>& strategies) {
  if (strategies.size() > kMaxStrategies)
    return Status::InvalidArgument("You can specify a maximum of 5 placement strategies.");
  std::vector<ParsedStrategy> out;
  for (const auto& s : strategies) {
    ParsedStrategy p;
    if (s.type == "random") {
      p.kind = ParsedStrategy::Kind::kRandom;  // field "is not used"
    } else if (s.type == "binpack") {
      std::string f = Lower(s.field);
      if (f == "cpu") p.kind = ParsedStrategy::Kind::kBinpackCpu;
      else if (f == "memory") p.kind = ParsedStrategy::Kind::kBinpackMemory;
      else
        return Status::InvalidArgument("Invalid field '" + s.field +
                                       "' for binpack placement strategy. Valid values are cpu "
                                       "and memory.");
    } else if (s.type == "spread") {
      static constexpr std::string_view kAttr = "attribute:";
      if (s.field == "instanceId" || s.field == "host") {
        p.kind = ParsedStrategy::Kind::kSpreadInstance;
      } else if (s.field.rfind(kAttr, 0) == 0 && s.field.size() > kAttr.size()) {
        p.kind = ParsedStrategy::Kind::kSpreadAttribute;
        p.attribute = s.field.substr(kAttr.size());
      } else {
        return Status::InvalidArgument("Invalid field '" + s.field +
                                       "' for spread placement strategy. Valid values are "
                                       "instanceId, host, or attribute:<name>.");
      }
    } else {
      return Status::InvalidArgument("Invalid placement strategy type '" + s.type +
                                     "'. Valid values are random, spread and binpack.");
    }
    out.push_back(std::move(p));
  }
  return out;
}

// The documented defaults when the caller gives none (see placement.h).
std::vector<ParsedStrategy> DefaultStrategies(const TaskShape& task) {
  using K = ParsedStrategy::Kind;
  if (task.group.rfind("service:", 0) == 0)
    return {{K::kSpreadAttribute, "ecs.availability-zone"}, {K::kSpreadInstance, ""}};
  return {{K::kRandom, ""}};
}

// SplitMix64: tiny, seedable, the same sequence on every platform (unlike std distributions).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

// The mutable state of one Place call: working copies of the active instances and the
// counters the strategies and distinctInstance read, kept current as tasks are placed.
class Placer {
 public:
  Placer(const std::vector<Instance>& instances, const TaskShape& task,
         ParsedConstraints constraints, std::vector<ParsedStrategy> strategies, uint64_t seed)
      : task_(task), constraints_(std::move(constraints)), strategies_(std::move(strategies)),
        rng_(seed) {
    for (const auto& in : instances)
      if (in.active) work_.push_back(in);
    same_group_.assign(work_.size(), 0);
    fixed_reason_.assign(work_.size(), nullptr);
    for (size_t i = 0; i < work_.size(); ++i) {
      const Instance& in = work_[i];
      same_group_[i] = std::count(in.task_groups.begin(), in.task_groups.end(), task_.group);
      fixed_reason_[i] = FixedReason(in);
    }
    for (const auto& s : strategies_) {
      if (s.kind != ParsedStrategy::Kind::kSpreadAttribute) continue;
      AttributeSpread spread;
      std::map<std::string, size_t> bucket_ids;
      for (size_t i = 0; i < work_.size(); ++i) {
        auto it = work_[i].attributes.find(s.attribute);
        const std::string& value = it == work_[i].attributes.end() ? kNoValue : it->second;
        auto [b, inserted] = bucket_ids.emplace(value, spread.bucket_tasks.size());
        if (inserted) spread.bucket_tasks.push_back(0);
        spread.bucket_of.push_back(b->second);
        spread.bucket_tasks[b->second] += same_group_[i];
      }
      spreads_.push_back(std::move(spread));
    }
    // Every reason depends on the instance's own state alone, so after the first round only
    // the instance that took a task needs another look (PlaceOne).
    reasons_.resize(work_.size());
    for (size_t i = 0; i < work_.size(); ++i) reasons_[i] = Rejection(i);
  }

  bool empty() const { return work_.empty(); }

  // Places one task; false (with `failures` filled) when no instance can take it.
  bool PlaceOne(std::vector<std::string>* arns, std::vector<Failure>* failures) {
    candidates_.clear();
    for (size_t i = 0; i < work_.size(); ++i)
      if (reasons_[i] == nullptr) candidates_.push_back(i);
    if (candidates_.empty()) {
      for (size_t i = 0; i < work_.size(); ++i)
        failures->push_back(Failure{work_[i].arn, reasons_[i], ""});
      return false;
    }
    size_t chosen = Choose();
    Consume(chosen);
    reasons_[chosen] = Rejection(chosen);
    arns->push_back(work_[chosen].arn);
    return true;
  }

 private:
  struct AttributeSpread {
    std::vector<size_t> bucket_of;     // per working instance
    std::vector<int64_t> bucket_tasks;  // tasks of the group per attribute value
  };
  inline static const std::string kNoValue;

  // Reasons that cannot change while this call places tasks.
  const char* FixedReason(const Instance& in) const {
    if (!in.agent_connected) return kAgent;
    for (const auto& name : task_.required_attributes)
      if (in.attributes.find(name) == in.attributes.end()) return kAttribute;
    for (const auto& q : constraints_.fixed)
      if (!q.Matches(in)) return kMemberOf;
    return nullptr;
  }

  const char* Rejection(size_t i) const {
    const Instance& in = work_[i];
    if (task_.cpu > in.remaining_cpu) return kResourceCpu;
    if (task_.memory > in.remaining_memory) return kResourceMemory;
    for (int port : task_.host_ports)
      if (in.used_ports.count(port) != 0) return kResourcePorts;
    if (fixed_reason_[i] != nullptr) return fixed_reason_[i];
    for (const auto& q : constraints_.dynamic)
      if (!q.Matches(in)) return kMemberOf;
    if (constraints_.distinct_instance && same_group_[i] > 0) return kDistinctInstance;
    return nullptr;
  }

  // Keeps the candidates with the smallest key.
  template <typename Key>
  void KeepMinimum(Key key) {
    int64_t best = std::numeric_limits<int64_t>::max();
    for (size_t i : candidates_) best = std::min(best, key(i));
    size_t kept = 0;
    for (size_t i : candidates_)
      if (key(i) == best) candidates_[kept++] = i;
    candidates_.resize(kept);
  }

  size_t Choose() {
    size_t spread_index = 0;
    for (const auto& s : strategies_) {
      if (candidates_.size() == 1) break;
      switch (s.kind) {
        case ParsedStrategy::Kind::kRandom:
          return candidates_[rng_.Below(candidates_.size())];
        case ParsedStrategy::Kind::kBinpackCpu:
          KeepMinimum([&](size_t i) { return work_[i].remaining_cpu; });
          break;
        case ParsedStrategy::Kind::kBinpackMemory:
          KeepMinimum([&](size_t i) { return work_[i].remaining_memory; });
          break;
        case ParsedStrategy::Kind::kSpreadInstance:
          KeepMinimum([&](size_t i) { return same_group_[i]; });
          break;
        case ParsedStrategy::Kind::kSpreadAttribute: {
          const AttributeSpread& sp = spreads_[spread_index++];
          KeepMinimum([&](size_t i) { return sp.bucket_tasks[sp.bucket_of[i]]; });
          break;
        }
      }
    }
    if (candidates_.size() == 1) return candidates_[0];
    return candidates_[rng_.Below(candidates_.size())];  // ties left by every strategy
  }

  void Consume(size_t i) {
    Instance& in = work_[i];
    in.remaining_cpu -= task_.cpu;
    in.remaining_memory -= task_.memory;
    in.used_ports.insert(task_.host_ports.begin(), task_.host_ports.end());
    in.task_groups.push_back(task_.group);
    in.task_definitions.push_back(task_.task_definition_arn);
    ++same_group_[i];
    for (auto& sp : spreads_) ++sp.bucket_tasks[sp.bucket_of[i]];
  }

  const TaskShape& task_;
  const ParsedConstraints constraints_;
  const std::vector<ParsedStrategy> strategies_;
  Rng rng_;
  std::vector<Instance> work_;           // ACTIVE instances, input order
  std::vector<int64_t> same_group_;      // tasks of task_.group on each
  std::vector<const char*> fixed_reason_;
  std::vector<AttributeSpread> spreads_;  // one per spread(attribute:...), strategy order
  std::vector<const char*> reasons_;      // why each instance cannot take the task now
  std::vector<size_t> candidates_;        // scratch
};

}  // namespace

Status ValidatePlacement(const std::vector<Constraint>& constraints,
                         const std::vector<Strategy>& strategies) {
  auto c = ParseConstraints(constraints);
  if (!c.ok()) return c.status();
  auto s = ParseStrategies(strategies);
  if (!s.ok()) return s.status();
  return Status::OK();
}

Result<Plan> Place(const std::vector<Instance>& instances, const TaskShape& task, int count,
                   const std::vector<Constraint>& constraints,
                   const std::vector<Strategy>& strategies, uint64_t random_seed) {
  if (count < 0) return Status::InvalidArgument("count must not be negative");
  ASSIGN_OR_RETURN(ParsedConstraints parsed_constraints, ParseConstraints(constraints));
  ASSIGN_OR_RETURN(std::vector<ParsedStrategy> parsed_strategies, ParseStrategies(strategies));
  Plan plan;
  if (count == 0) return plan;
  if (parsed_strategies.empty()) parsed_strategies = DefaultStrategies(task);
  Placer placer(instances, task, std::move(parsed_constraints), std::move(parsed_strategies),
                random_seed);
  if (placer.empty())
    return Status::InvalidArgument("No Container Instances were found in your cluster.");
  plan.instance_arns.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i)
    if (!placer.PlaceOne(&plan.instance_arns, &plan.failures)) break;
  return plan;
}

}  // namespace wharf::scheduler
