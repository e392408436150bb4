// IAM policy documents: parsed, validated and compiled for evaluation (iam/evaluate.h).
//
// Terms (the IAM User Guide's, "IAM JSON policy elements reference"):
//   - A policy has a Version ("2012-10-17" or "2008-10-17"), an optional Id and one or more
//     statements. A statement has an optional Sid, an Effect (Allow or Deny), Action or
//     NotAction, Resource or NotResource, Principal or NotPrincipal, and an optional
//     Condition: operator -> condition key -> one or more values.
//   - The kind of a policy decides which elements it must and must not have:
//       identity  attached to a user, group or role (and permissions boundaries, session
//                 policies): no Principal; Action and Resource required.
//       resource  attached to a resource (an ECR repository policy): Principal required.
//       trust     a role's AssumeRolePolicyDocument: Principal required, no Resource.
//   - Policy variables ("${aws:username}", "${aws:PrincipalTag/team, 'none'}", "${*}") are
//     substituted at evaluation time in Resource/NotResource and in string, ARN and Bool
//     condition values, only when Version is 2012-10-17; with 2008-10-17 they are literal.
//
// Lifecycle: ParsePolicy turns the text IAM receives into a Policy once; the Policy is
// immutable afterwards, and evaluation reads it from any thread. Everything evaluation needs
// is computed here: lowercased action patterns split at the vendor, resource patterns split
// at the ARN's colons, condition operators resolved to an enum, numbers, dates and CIDR
// blocks parsed.
//
// Errors: an invalid document is InvalidArgument whose message is exactly what IAM answers
// with the MalformedPolicyDocument error ("Syntax errors in policy.", "Policy statement must
// contain actions.", ...); the api layer maps only the class. Documents over a size quota
// are the caller's check (PolicySizeError): IAM answers those with LimitExceeded.
// Sources: IAM User Guide (policy grammar, elements, condition operators, variables), the
// error texts IAM returns as users report them; see docs/IAM_POLICY.md for what is unsure.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::iam {

enum class PolicyKind { kIdentity, kResource, kTrust };

struct ParseOptions {
  PolicyKind kind = PolicyKind::kIdentity;
  // A managed policy or managed policy version (CreatePolicy, CreatePolicyVersion): IAM
  // requires "Version": "2012-10-17" there, and refuses other documents with "Policy document
  // must be version 2012-10-17 or greater."
  bool managed = false;
  // A resource policy kept on its one resource (an ECR repository's): a statement without
  // Resource applies to that resource, as ECR reads them.
  bool resource_implied = false;
};

// A pattern over strings with '*' (any run) and '?' (any one character) as wildcards.
// `glob` is the form base/glob.h matches with backslash escapes: literal '*', '?' and '\'
// (from the source or from policy variables) are escaped there.
struct Pattern {
  std::string source;          // as written (lowercased where matching ignores case)
  std::string glob;            // escaped glob of `source`; unused when has_variables
  bool has_wildcards = false;  // false: compare for equality
  bool has_variables = false;  // "${...}" to substitute first (Version 2012-10-17 only)
};

// "ecs:Describe*" as evaluation needs it: vendor and name lowercased, vendor "*" for "*".
struct ActionPattern {
  std::string vendor;  // literal, or "*"
  Pattern name;        // glob over the action name ("*" for every action of the vendor)
};

// A Resource/NotResource entry or an ARN condition value: "*" or an ARN whose first five
// segments (partition, service, region, account) are matched one by one and whose resource
// part (after the fifth colon, colons included) as a whole.
struct ArnPattern {
  bool any = false;  // "*"
  Pattern pattern;
  // The glob split at its first five colons, for a pattern of six segments without
  // variables (else `segments` is 0 and the glob is matched as a whole, split per request).
  uint8_t segments = 0;
  uint16_t segment_end[6] = {};     // end offsets in pattern.glob
  uint8_t literal_segments = 0;     // bit i: segment i has no wildcard and no escape
};

// Principal or NotPrincipal.
struct PrincipalSet {
  bool any = false;                 // "*" or {"AWS": "*"}
  std::vector<std::string> aws;     // ARNs; a bare account id becomes arn:aws:iam::<id>:root
  std::vector<std::string> service;
  std::vector<std::string> federated;
  std::vector<std::string> canonical_user;
  bool empty() const {
    return !any && aws.empty() && service.empty() && federated.empty() && canonical_user.empty();
  }
};

enum class ConditionOperator {
  kStringEquals, kStringNotEquals, kStringEqualsIgnoreCase, kStringNotEqualsIgnoreCase,
  kStringLike, kStringNotLike,
  kNumericEquals, kNumericNotEquals, kNumericLessThan, kNumericLessThanEquals,
  kNumericGreaterThan, kNumericGreaterThanEquals,
  kDateEquals, kDateNotEquals, kDateLessThan, kDateLessThanEquals, kDateGreaterThan,
  kDateGreaterThanEquals,
  kBool, kBinaryEquals, kIpAddress, kNotIpAddress,
  kArnEquals, kArnLike, kArnNotEquals, kArnNotLike,
  kNull,
};

enum class SetOperator { kNone, kForAllValues, kForAnyValue };

// One value of a condition, with what its operator needs parsed in advance.
struct ConditionValue {
  std::string text;             // as written ("true" for JSON true, numbers as written)
  Pattern pattern;              // String*/Arn* operators (lowercased for ...IgnoreCase)
  std::optional<double> number;       // Numeric*
  std::optional<int64_t> epoch_ms;    // Date*: ISO 8601 or epoch seconds
  struct Cidr { bool v6 = false; uint8_t bytes[16] = {}; int prefix = 0; };
  std::optional<Cidr> cidr;           // IpAddress/NotIpAddress
};

// One key under one operator: {"StringEquals": {"aws:RequestedRegion": ["us-east-1"]}}.
struct Condition {
  ConditionOperator op = ConditionOperator::kStringEquals;
  SetOperator set = SetOperator::kNone;
  bool if_exists = false;
  std::string key;  // lowercased: condition keys ignore case
  std::vector<ConditionValue> values;
};

struct Statement {
  std::string sid;
  bool allow = true;  // Effect
  bool not_action = false;
  std::vector<ActionPattern> actions;  // Action, or NotAction when not_action
  bool not_resource = false;
  bool has_resource = false;           // false in trust policies
  std::vector<ArnPattern> resources;   // Resource, or NotResource when not_resource
  bool not_principal = false;
  bool has_principal = false;
  PrincipalSet principals;             // Principal, or NotPrincipal when not_principal
  std::vector<Condition> conditions;   // all must hold
};

struct Policy {
  std::string version;  // "2012-10-17", "2008-10-17", or empty when absent
  std::string id;
  std::vector<Statement> statements;
  bool variables_enabled() const { return version == "2012-10-17"; }
};

// Parses and validates a policy document of the given kind. InvalidArgument with IAM's
// MalformedPolicyDocument message when it is not valid.
Result<Policy> ParsePolicy(std::string_view document, ParseOptions options = {});

// The size IAM counts against its quotas: characters (code points), whitespace excluded.
size_t PolicySize(std::string_view document);

// IAM's quotas, in characters as PolicySize counts them.
inline constexpr size_t kManagedPolicyMaxSize = 6144;
inline constexpr size_t kUserInlinePoliciesMaxSize = 2048;   // all of a user's inline policies
inline constexpr size_t kGroupInlinePoliciesMaxSize = 5120;
inline constexpr size_t kRoleInlinePoliciesMaxSize = 10240;
inline constexpr size_t kTrustPolicyMaxSize = 2048;          // ACLSizePerRole

// IAM's LimitExceeded message for a document over a quota, as IAM words each case:
//   managed policy: "Cannot exceed quota for PolicySize: 6144"
//   trust policy:   "Cannot exceed quota for ACLSizePerRole: 2048"
//   inline:         "Maximum policy size of 2048 bytes exceeded for user <name>" (group, role)
enum class PolicyQuota { kManaged, kTrust, kUserInline, kGroupInline, kRoleInline };
size_t PolicyQuotaSize(PolicyQuota quota);
std::string PolicySizeError(PolicyQuota quota, std::string_view entity_name = {});

}  // namespace wharf::iam
