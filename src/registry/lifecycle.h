// ECR lifecycle policies: parsing, validation and evaluation, as pure functions.
//
// Terms (the words of the ECR user guide, "How lifecycle policies work"):
//   - A policy is a list of rules; each rule has a unique positive rulePriority, a
//     selection (tagStatus tagged|untagged|any, tagPrefixList or tagPatternList, and a
//     countType imageCountMoreThan|sinceImagePushed with countNumber) and the action
//     expire.
//   - A rule *identifies* the images its tag selection matches, and *marks* those its
//     count condition picks: imageCountMoreThan marks all but the countNumber most
//     recently pushed identified images; sinceImagePushed marks identified images pushed
//     more than countNumber days before `now`.
//   - Rules apply in priority order (1 first). An image identified by a rule can never be
//     expired by a lower-priority rule, but lower rules still count it. So each image is
//     expired by at most one rule: the first one that marks it without a higher rule
//     having identified it.
//   - Tag matching: an image matches a tagPrefixList (tagPatternList) when every entry of
//     the list matches at least one of the image's tags; prefixes match the start of a
//     tag, patterns the whole tag with '*' standing for any run of characters.
//
// Lifecycle: ParseLifecyclePolicy validates the text PutLifecyclePolicy receives, and the
// LifecyclePolicy it returns is what EvaluateLifecyclePolicy applies later against a
// snapshot of the repository's images. Neither touches a store or a clock: `now_ms` is a
// parameter, so a caller decides when "now" is and tests run on simulated time.
// Errors: an invalid policy is InvalidArgument whose message is the full text ECR returns
// with InvalidParameterException ("Invalid parameter at 'LifecyclePolicyText' failed to
// satisfy constraint: 'Lifecycle policy validation failure: ...'"). The api layer only
// maps the class to the AWS error code. Sources: ECR User Guide "Lifecycle policy
// properties", "How lifecycle policies work", "Examples of lifecycle policies"; the
// wording's certainty is recorded in the team notes (ecr-lifecycle.md).
// Thread-safety: plain values and pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::registry {

// One image of a repository as the evaluator sees it; `tags` is empty when untagged.
struct LifecycleImage {
  std::string digest;
  std::vector<std::string> tags;
  int64_t pushed_at_ms = 0;
};

struct LifecycleRule {
  enum class TagStatus { kTagged, kUntagged, kAny };
  enum class CountType { kImageCountMoreThan, kSinceImagePushed };

  int priority = 0;
  std::string description;
  TagStatus tag_status = TagStatus::kAny;
  // At most one of the two is non-empty, and only for kTagged.
  std::vector<std::string> tag_prefixes;
  std::vector<std::string> tag_patterns;
  CountType count_type = CountType::kImageCountMoreThan;
  // Images to keep for kImageCountMoreThan; days for kSinceImagePushed. Always >= 1.
  int64_t count_number = 1;
};

struct LifecyclePolicy {
  std::vector<LifecycleRule> rules;  // sorted by priority, lowest number first
};

// Parses and validates the policy text as ECR does; InvalidArgument carries the message
// ECR gives.
Result<LifecyclePolicy> ParseLifecyclePolicy(std::string_view text);

struct Expiry {
  std::string digest;
  int rule_priority = 0;

  bool operator==(const Expiry&) const = default;
};

// The images the policy expires now, each once, with the rule that expires it; oldest
// push first (ties by digest). Images are told apart by digest.
std::vector<Expiry> EvaluateLifecyclePolicy(const LifecyclePolicy& policy,
                                            const std::vector<LifecycleImage>& images,
                                            int64_t now_ms);

// Whether `tag` matches a tagPatternList entry: '*' matches any run, the rest literally.
bool TagMatchesPattern(std::string_view tag, std::string_view pattern);

}  // namespace wharf::registry
