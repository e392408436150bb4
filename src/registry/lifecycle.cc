#include "registry/lifecycle.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <initializer_list>
#include <limits>
#include <numeric>
#include <set>
#include <unordered_set>

#include "base/glob.h"

namespace wharf::registry {
namespace {

namespace json = boost::json;
using TagStatus = LifecycleRule::TagStatus;
using CountType = LifecycleRule::CountType;

constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;
// ECR maps the policy onto Java ints; a larger number does not map at all.
constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();
// ECR's documented limit of '*' per tagPatternList entry.
constexpr size_t kMaxWildcards = 4;

// ECR wraps every complaint about the policy text in the same sentence. Details quoted from
// real responses: "Could not map policyString...", the schema messages moto reproduces,
// "instance failed to match exactly one schema...", "Only one rule can select Untagged
// images..." and "Rule for tagStatus=ANY...". The tag-list and duplicate-priority wordings
// are ours, in the same style (team notes: ecr-lifecycle.md).
Status Invalid(std::string_view detail) {
  return Status::InvalidArgument(
      "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
      "'Lifecycle policy validation failure: " +
      std::string(detail) + "'");
}

Status Unmappable() { return Invalid("Could not map policyString into LifecyclePolicy."); }

// ["a","b"], the way the schema validator lists names.
std::string NameList(const std::set<std::string>& names) {
  std::string out = "[";
  for (const auto& n : names) {
    if (out.size() > 1) out += ",";
    out += "\"" + n + "\"";
  }
  return out + "]";
}

std::string_view TypeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer";
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "null";
}

Status WrongType(const json::value& v, std::string_view allowed) {
  return Invalid("instance type (" + std::string(TypeName(v)) +
                 ") does not match any allowed primitive type (allowed: [\"" +
                 std::string(allowed) + "\"])");
}

Status NotInEnum(std::string_view value, const std::set<std::string>& allowed) {
  return Invalid("instance value (" + std::string(value) +
                 ") not found in enum :(possible values: " + NameList(allowed) + ")");
}

// Reports missing required members first, then members the schema does not know.
Status CheckMembers(const json::object& o, std::initializer_list<std::string_view> required,
                    std::initializer_list<std::string_view> optional) {
  std::set<std::string> missing;
  for (auto name : required) {
    if (!o.contains(name)) missing.emplace(name);
  }
  if (!missing.empty()) {
    return Invalid("object has missing required properties (" + NameList(missing) + ")");
  }
  std::set<std::string> unknown;
  for (const auto& member : o) {
    auto known = [&](std::string_view n) { return n == member.key(); };
    if (std::none_of(required.begin(), required.end(), known) &&
        std::none_of(optional.begin(), optional.end(), known)) {
      unknown.emplace(member.key());
    }
  }
  if (!unknown.empty()) {
    return Invalid("object instance has properties which are not allowed by the schema: (" +
                   NameList(unknown) + ")");
  }
  return Status::OK();
}

// An integer of at least 1 that fits a Java int.
Result<int64_t> ReadPositiveInt(const json::value& v) {
  if (v.is_uint64()) return Unmappable();  // above INT64_MAX
  if (!v.is_int64()) return WrongType(v, "integer");
  int64_t n = v.get_int64();
  if (n < 1) {
    return Invalid("numeric instance is lower than the required minimum (minimum: 1, found: " +
                   std::to_string(n) + ")");
  }
  if (n > kMaxInt) return Unmappable();
  return n;
}

Result<std::vector<std::string>> ReadStringList(const json::value& v) {
  const json::array* a = v.if_array();
  if (!a) return WrongType(v, "array");
  std::vector<std::string> out;
  for (const auto& e : *a) {
    const json::string* s = e.if_string();
    if (!s) return WrongType(e, "string");
    out.emplace_back(*s);
  }
  return out;
}

// countType and countUnit form one schema choice of two: imageCountMoreThan without a
// countUnit, or sinceImagePushed with countUnit "days".
Status ParseCount(const json::object& selection, LifecycleRule& rule) {
  const json::string* type = selection.at("countType").if_string();
  const json::value* unit = selection.if_contains("countUnit");
  if (type && *type == "imageCountMoreThan" && !unit) {
    rule.count_type = CountType::kImageCountMoreThan;
  } else if (type && *type == "sinceImagePushed" && unit) {
    const json::string* u = unit->if_string();
    if (!u) return WrongType(*unit, "string");
    if (*u != "days") return NotInEnum(*u, {"days"});
    rule.count_type = CountType::kSinceImagePushed;
  } else {
    return Invalid("instance failed to match exactly one schema (matched 0 out of 2)");
  }
  ASSIGN_OR_RETURN(rule.count_number, ReadPositiveInt(selection.at("countNumber")));
  return Status::OK();
}

Status ParseSelection(const json::value& v, LifecycleRule& rule) {
  const json::object* selection = v.if_object();
  if (!selection) return WrongType(v, "object");
  RETURN_IF_ERROR(CheckMembers(*selection, {"tagStatus", "countType", "countNumber"},
                               {"tagPrefixList", "tagPatternList", "countUnit"}));
  const json::value& status = selection->at("tagStatus");
  const json::string* s = status.if_string();
  if (!s) return WrongType(status, "string");
  if (*s == "tagged") {
    rule.tag_status = TagStatus::kTagged;
  } else if (*s == "untagged") {
    rule.tag_status = TagStatus::kUntagged;
  } else if (*s == "any") {
    rule.tag_status = TagStatus::kAny;
  } else {
    return NotInEnum(*s, {"any", "tagged", "untagged"});
  }
  if (const json::value* p = selection->if_contains("tagPrefixList")) {
    ASSIGN_OR_RETURN(rule.tag_prefixes, ReadStringList(*p));
  }
  if (const json::value* p = selection->if_contains("tagPatternList")) {
    ASSIGN_OR_RETURN(rule.tag_patterns, ReadStringList(*p));
  }
  return ParseCount(*selection, rule);
}

Status ParseAction(const json::value& v) {
  const json::object* action = v.if_object();
  if (!action) return WrongType(v, "object");
  RETURN_IF_ERROR(CheckMembers(*action, {"type"}, {}));
  const json::value& type = action->at("type");
  const json::string* t = type.if_string();
  if (!t) return WrongType(type, "string");
  if (*t != "expire") return NotInEnum(*t, {"expire"});
  return Status::OK();
}

// A rule that passed the schema, before the checks that look at several fields or rules.
struct ParsedRule {
  LifecycleRule rule;
  // Present, even if empty: ECR refuses an empty list where no list is allowed.
  bool prefix_list_given = false;
  bool pattern_list_given = false;
};

Result<ParsedRule> ParseRule(const json::value& v) {
  const json::object* o = v.if_object();
  if (!o) return WrongType(v, "object");
  RETURN_IF_ERROR(CheckMembers(*o, {"rulePriority", "selection", "action"}, {"description"}));
  ParsedRule parsed;
  LifecycleRule& rule = parsed.rule;
  ASSIGN_OR_RETURN(int64_t priority, ReadPositiveInt(o->at("rulePriority")));
  rule.priority = static_cast<int>(priority);
  if (const json::value* d = o->if_contains("description")) {
    const json::string* s = d->if_string();
    if (!s) return WrongType(*d, "string");
    rule.description = std::string(*s);
  }
  RETURN_IF_ERROR(ParseSelection(o->at("selection"), rule));
  RETURN_IF_ERROR(ParseAction(o->at("action")));
  const json::object& selection = o->at("selection").get_object();
  parsed.prefix_list_given = selection.contains("tagPrefixList");
  parsed.pattern_list_given = selection.contains("tagPatternList");
  return parsed;
}

// Whether a rule names its tags the way its tagStatus requires.
Status CheckTagSelection(const ParsedRule& parsed) {
  const LifecycleRule& rule = parsed.rule;
  if (rule.tag_status != TagStatus::kTagged) {
    if (parsed.prefix_list_given || parsed.pattern_list_given) {
      return Invalid(
          "tagPrefixList and tagPatternList can only be specified when tagStatus=TAGGED.");
    }
    return Status::OK();
  }
  if (!rule.tag_prefixes.empty() && !rule.tag_patterns.empty()) {
    return Invalid("Cannot specify both tagPrefixList and tagPatternList in the same rule.");
  }
  if (rule.tag_prefixes.empty() && rule.tag_patterns.empty()) {
    return Invalid("Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED.");
  }
  for (const auto& p : rule.tag_patterns) {
    if (static_cast<size_t>(std::count(p.begin(), p.end(), '*')) > kMaxWildcards) {
      return Invalid("tagPatternList entry '" + p + "' has more than 4 wildcards (*).");
    }
  }
  return Status::OK();
}

// The checks across rules; `rules` is sorted by priority.
Status CheckRules(const std::vector<LifecycleRule>& rules) {
  for (size_t i = 1; i < rules.size(); ++i) {
    if (rules[i].priority == rules[i - 1].priority) {
      return Invalid("Rule priorities must be unique; rulePriority " +
                     std::to_string(rules[i].priority) + " is used more than once.");
    }
  }
  auto untagged = std::count_if(rules.begin(), rules.end(), [](const LifecycleRule& r) {
    return r.tag_status == TagStatus::kUntagged;
  });
  if (untagged > 1) return Invalid("Only one rule can select Untagged images per storage class.");
  for (size_t i = 0; i + 1 < rules.size(); ++i) {
    if (rules[i].tag_status == TagStatus::kAny) {
      return Invalid("Rule for tagStatus=ANY must have the lowest priority per storage class");
    }
  }
  return Status::OK();
}

bool HasTagMatching(const LifecycleImage& image, auto matches) {
  return std::any_of(image.tags.begin(), image.tags.end(), matches);
}

// Whether the rule identifies the image: every list entry must match one of its tags.
bool Identifies(const LifecycleRule& rule, const LifecycleImage& image) {
  switch (rule.tag_status) {
    case TagStatus::kAny:
      return true;
    case TagStatus::kUntagged:
      return image.tags.empty();
    case TagStatus::kTagged:
      break;
  }
  if (image.tags.empty()) return false;
  for (const auto& prefix : rule.tag_prefixes) {
    if (!HasTagMatching(image, [&](const std::string& t) { return t.starts_with(prefix); })) {
      return false;
    }
  }
  for (const auto& pattern : rule.tag_patterns) {
    if (!HasTagMatching(image,
                        [&](const std::string& t) { return TagMatchesPattern(t, pattern); })) {
      return false;
    }
  }
  return true;
}

// The identified images (indices, newest first) the rule's count condition marks.
std::vector<size_t> Marked(const LifecycleRule& rule, const std::vector<size_t>& identified,
                           const std::vector<LifecycleImage>& images, int64_t now_ms) {
  if (rule.count_type == CountType::kImageCountMoreThan) {
    auto keep = static_cast<size_t>(std::max<int64_t>(rule.count_number, 0));
    if (identified.size() <= keep) return {};
    return {identified.begin() + static_cast<std::ptrdiff_t>(keep), identified.end()};
  }
  // Parsed rules keep count_number within a Java int, so this cannot overflow.
  int64_t max_age_ms = std::min(rule.count_number, kMaxInt) * kDayMs;
  std::vector<size_t> out;
  for (size_t i : identified) {
    if (now_ms - images[i].pushed_at_ms > max_age_ms) out.push_back(i);
  }
  return out;
}

}  // namespace

bool TagMatchesPattern(std::string_view tag, std::string_view pattern) { return GlobMatch(pattern, tag); }

Result<LifecyclePolicy> ParseLifecyclePolicy(std::string_view text) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return Unmappable();
  const json::object& top = doc.get_object();
  const json::value* rules_value = top.if_contains("rules");
  if (!rules_value || !rules_value->is_array()) {
    return Invalid("object has missing required properties ([\"rules\"])");
  }
  RETURN_IF_ERROR(CheckMembers(top, {"rules"}, {}));
  const json::array& rules = rules_value->get_array();
  if (rules.empty()) {
    return Invalid("array is too short: must have at least 1 elements but instance has 0 elements");
  }

  // The whole schema first, then the rules' meaning, as ECR reports schema errors first.
  std::vector<ParsedRule> parsed;
  for (const auto& r : rules) {
    ASSIGN_OR_RETURN(ParsedRule rule, ParseRule(r));
    parsed.push_back(std::move(rule));
  }
  LifecyclePolicy policy;
  for (auto& p : parsed) {
    RETURN_IF_ERROR(CheckTagSelection(p));
    policy.rules.push_back(std::move(p.rule));
  }
  std::stable_sort(
      policy.rules.begin(), policy.rules.end(),
      [](const LifecycleRule& a, const LifecycleRule& b) { return a.priority < b.priority; });
  RETURN_IF_ERROR(CheckRules(policy.rules));
  return policy;
}

std::vector<Expiry> EvaluateLifecyclePolicy(const LifecyclePolicy& policy,
                                            const std::vector<LifecycleImage>& images,
                                            int64_t now_ms) {
  // Newest first: the order imageCountMoreThan keeps in. Equal push times fall back to the
  // digest, which ECR leaves unspecified but a test can rely on.
  std::vector<size_t> newest_first(images.size());
  std::iota(newest_first.begin(), newest_first.end(), 0);
  std::sort(newest_first.begin(), newest_first.end(), [&](size_t a, size_t b) {
    if (images[a].pushed_at_ms != images[b].pushed_at_ms) {
      return images[a].pushed_at_ms > images[b].pushed_at_ms;
    }
    return images[a].digest < images[b].digest;
  });

  std::vector<const LifecycleRule*> rules;
  for (const auto& r : policy.rules) rules.push_back(&r);
  std::stable_sort(rules.begin(), rules.end(), [](const LifecycleRule* a, const LifecycleRule* b) {
    return a->priority < b->priority;
  });

  // seen[i]: a higher-priority rule identified image i, so no later rule may expire it.
  std::vector<bool> seen(images.size(), false);
  struct Marking {
    size_t image;
    int rule_priority;
  };
  std::vector<Marking> expired;
  for (const LifecycleRule* rule : rules) {
    std::vector<size_t> identified;
    for (size_t i : newest_first) {
      if (Identifies(*rule, images[i])) identified.push_back(i);
    }
    for (size_t i : Marked(*rule, identified, images, now_ms)) {
      if (!seen[i]) expired.push_back({i, rule->priority});
    }
    for (size_t i : identified) seen[i] = true;
  }

  // Oldest push first, the order ECR expires in; a digest listed twice is expired once.
  std::sort(expired.begin(), expired.end(), [&](const Marking& a, const Marking& b) {
    const LifecycleImage& x = images[a.image];
    const LifecycleImage& y = images[b.image];
    return x.pushed_at_ms != y.pushed_at_ms ? x.pushed_at_ms < y.pushed_at_ms : x.digest < y.digest;
  });
  std::vector<Expiry> out;
  std::unordered_set<std::string_view> once;
  for (const Marking& m : expired) {
    if (once.insert(images[m.image].digest).second)
      out.push_back({images[m.image].digest, m.rule_priority});
  }
  return out;
}

}  // namespace wharf::registry
