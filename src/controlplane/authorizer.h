// Authorizer: which IAM policies apply to a caller, read from the IAM records (model/iam.h)
// and parsed once, then kept until IAM changes.
//
// Terms: a caller is the principal a request's key signs as (iam/evaluate.h): the account
// root, an IAM user, or a role session made by STS AssumeRole. Its policies are
//   - a user's: its inline and attached policies and those of each of its groups; its
//     permissions boundary;
//   - a role session's: the role's inline and attached policies and its boundary, and the
//     session policies passed to AssumeRole (inline Policy and PolicyArns).
// The root is allowed everything (its own account's resource policies aside): no policy
// is read for it.
//
// Caching: a caller's policies are kept by caller (a user by name, a session by its access
// key) with the IAM generation they were read at. Start() watches iam/ in the store: any
// change there (on this server or, with etcd, on another) bumps the generation, so the next
// request reads the records again. Access keys' last-use stamps are not changes.
//
// Resource tags (aws:ResourceTag/<key>): ResourceTagsOf keeps each resource's tags with the
// store revision they were read at and reads them again once the revision has moved, so a
// TagResource (or any other commit) is seen by the very next request. Reading them parses the
// resource's record, which cost more than the rest of an authorization (50-100 us measured).
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "iam/evaluate.h"
#include "store/store.h"

namespace boost::json {
class object;
}

namespace wharf::controlplane {

// Who signed a request, as far as authorization needs it.
struct Caller {
  iam::PrincipalKind kind = iam::PrincipalKind::kRoot;
  std::string arn;        // the user's ARN, the assumed-role ARN
  std::string user_name;  // kUser
  std::string role_name;  // kRoleSession
  // kRoleSession: the temporary access key (session policies are cached under it), the
  // session policy document passed to AssumeRole and the managed policies named.
  std::string session_key;
  std::string session_policy;
  std::vector<std::string> session_policy_arns;
  std::vector<std::pair<std::string, std::string>> session_tags;
};

// The parsed policies that apply to one caller, and the caller's tags (aws:PrincipalTag).
struct CallerPolicies {
  std::vector<iam::Policy> identity;
  std::optional<iam::Policy> permissions_boundary;
  std::vector<iam::Policy> session;
  bool has_session_policies = false;
  std::vector<std::pair<std::string, std::string>> principal_tags;
  // The condition keys these policies read (lowercased), so a request need not compute the
  // others; every key when a policy variable may read any.
  std::vector<std::string> keys_used;
  bool uses_every_key = false;
  bool Uses(std::string_view key) const;
  // Whether a policy reads a key beginning with `prefix` ("aws:ResourceTag/"), any case.
  bool UsesPrefix(std::string_view prefix) const;

  // Decisions made with these policies, by what decides them (DecisionKey in api/authorize):
  // a caller asking the same again is answered without evaluating. Only when no policy reads
  // a key that changes from request to request (the time, the source address, a policy
  // variable): set at load. A change to IAM makes new CallerPolicies, so these never go stale.
  bool decisions_cacheable = false;
  std::optional<iam::Decision> CachedDecision(const std::string& key) const EXCLUDES(decisions_mu_);
  void CacheDecision(std::string key, iam::Decision decision) const EXCLUDES(decisions_mu_);

  // The set to evaluate, pointing into this object; `resource` is the resource's policy.
  iam::PolicySet Set(const iam::Policy* resource = nullptr) const;

 private:
  mutable Mutex decisions_mu_;
  mutable std::unordered_map<std::string, iam::Decision> decisions_ GUARDED_BY(decisions_mu_);
};

class Authorizer {
 public:
  // The document of an AWS managed policy ("arn:aws:iam::aws:policy/..."), or null.
  using AwsManagedDocument = std::function<const std::string*(std::string_view arn)>;

  Authorizer(store::Store& store, AwsManagedDocument aws_managed)
      : store_(store), aws_managed_(std::move(aws_managed)) {}
  ~Authorizer();

  // Watches iam/ so that a change drops what was cached.
  Status Start();

  // The caller's policies (NotFound when its user or role is gone).
  Result<std::shared_ptr<const CallerPolicies>> PoliciesOf(const Caller& caller) EXCLUDES(mu_);

  // Drops everything cached (IAM handlers call it after their commit, so a change is seen
  // by the very next request even before the watch delivers it).
  void Changed() { generation_.fetch_add(1, std::memory_order_release); }

  // The tags of the resource `arn` as seen from `region` (each region reads its own store),
  // as `read` gives them: read when the store's revision has moved since they were last read.
  using Tags = std::vector<std::pair<std::string, std::string>>;
  std::shared_ptr<const Tags> ResourceTagsOf(std::string_view region, std::string_view arn,
                                             const std::function<Tags(std::string_view arn)>& read)
      EXCLUDES(tags_mu_);

 private:
  Result<std::shared_ptr<CallerPolicies>> Load(const Caller& caller);
  Result<std::shared_ptr<CallerPolicies>> LoadPolicies(const Caller& caller);
  // Adds an entity's inline and attached policies to `out` (and its boundary when asked).
  Status AddEntity(const boost::json::object& record, std::string_view shape, CallerPolicies& out,
                   bool with_boundary);
  // A managed policy's default version, parsed.
  Result<iam::Policy> ManagedPolicy(std::string_view arn);

  store::Store& store_;
  const AwsManagedDocument aws_managed_;
  std::unique_ptr<store::Watch> watch_;
  std::atomic<uint64_t> generation_{1};

  struct Entry {
    uint64_t generation;
    std::shared_ptr<const CallerPolicies> policies;
  };
  Mutex mu_;
  std::unordered_map<std::string, Entry> cache_ GUARDED_BY(mu_);

  struct TagsEntry {
    int64_t revision;
    std::shared_ptr<const Tags> tags;
  };
  Mutex tags_mu_;
  std::unordered_map<std::string, TagsEntry> tags_ GUARDED_BY(tags_mu_);  // by region and ARN
};

}  // namespace wharf::controlplane
