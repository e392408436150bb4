// Lifecycle policies: Put/Get/Delete, and the preview (computed at once, kept with the
// repository until the next preview).
#include <boost/json/array.hpp>

#include "api/ecr/common.h"
#include "api/ecr/handlers.h"
#include "registry/lifecycle.h"

namespace wharf::api::ecr {
namespace json = boost::json;

namespace {

AwsError PolicyNotFound(const Registry& r, const std::string& repo) {
  return AwsError::Client("LifecyclePolicyNotFoundException",
                          "Lifecycle policy does not exist for the repository with name '" + repo +
                              "' in the registry with id '" + r.options().account_id + "'");
}

object PolicyAnswer(const Registry& r, const object& in, const std::string& text) {
  return object{{"registryId", r.options().account_id}, {"repositoryName", RepositoryName(in)},
                {"lifecyclePolicyText", text}};
}

}  // namespace

Outcome PutLifecyclePolicy(Registry& r, const RequestContext&, object& in) {
  std::string text = GetString(in, "lifecyclePolicyText");
  auto policy = registry::ParseLifecyclePolicy(text);
  if (!policy.ok()) return InvalidParameter(policy.status().message());
  Outcome saved = UpdateRepository(
      r, in,
      [&](object& record) {
        record["lifecyclePolicyText"] = text;
        return std::optional<AwsError>();
      },
      [&](const object&) { return PolicyAnswer(r, in, text); });
  if (saved.ok()) (void)r.ApplyLifecyclePolicy(RepositoryName(in));
  return saved;
}

Outcome GetLifecyclePolicy(Registry& r, const RequestContext& ctx, object& in) {
  auto loaded = LoadRepository(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  std::string text = GetString(std::get<RepositoryRecord>(loaded).record, "lifecyclePolicyText");
  if (text.empty()) return PolicyNotFound(r, RepositoryName(in));
  object out = PolicyAnswer(r, in, text);
  out["lastEvaluatedAt"] = EpochSeconds(ctx.now);  // evaluated after every push and on a timer
  return out;
}

Outcome DeleteLifecyclePolicy(Registry& r, const RequestContext& ctx, object& in) {
  Outcome current = GetLifecyclePolicy(r, ctx, in);
  if (!current.ok()) return current;
  object answer = current.output();
  return UpdateRepository(
      r, in,
      [&](object& record) {
        record.erase("lifecyclePolicyText");
        return std::optional<AwsError>();
      },
      [&](const object&) { return answer; });
}

Outcome StartLifecyclePolicyPreview(Registry& r, const RequestContext&, object& in) {
  auto loaded = LoadRepository(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  std::string text = GetString(in, "lifecyclePolicyText");
  if (text.empty()) text = GetString(std::get<RepositoryRecord>(loaded).record, "lifecyclePolicyText");
  if (text.empty()) return PolicyNotFound(r, RepositoryName(in));
  auto policy = registry::ParseLifecyclePolicy(text);
  if (!policy.ok()) return InvalidParameter(policy.status().message());
  ASSIGN_OR_FAIL(auto images, r.Images(RepositoryName(in)), EcrError);
  std::vector<registry::LifecycleImage> candidates;
  for (const auto& image : images) {
    candidates.push_back({image.digest, image.tags, static_cast<int64_t>(image.pushed_at * 1000)});
  }
  auto expiries = registry::EvaluateLifecyclePolicy(*policy, candidates,
                                                    static_cast<int64_t>(EpochSeconds(std::chrono::system_clock::now()) * 1000));
  json::array results;
  for (const auto& e : expiries) {
    for (const auto& image : images) {
      if (image.digest != e.digest) continue;
      json::array tags;
      for (const auto& t : image.tags) tags.push_back(json::value(t));
      results.push_back(object{{"imageTags", std::move(tags)},
                               {"imageDigest", image.digest},
                               {"imagePushedAt", image.pushed_at},
                               {"action", object{{"type", "EXPIRE"}}},
                               {"appliedRulePriority", e.rule_priority}});
    }
  }
  object preview{{"lifecyclePolicyText", text}, {"previewResults", std::move(results)},
                 {"expiringImageTotalCount", static_cast<int64_t>(expiries.size())}};
  Outcome saved = UpdateRepository(
      r, in,
      [&](object& record) {
        record["lifecyclePreview"] = preview;
        return std::optional<AwsError>();
      },
      [&](const object&) {
        object out = PolicyAnswer(r, in, text);
        out["status"] = "IN_PROGRESS";
        return out;
      });
  return saved;
}

Outcome GetLifecyclePolicyPreview(Registry& r, const RequestContext&, object& in) {
  auto loaded = LoadRepository(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const object& record = std::get<RepositoryRecord>(loaded).record;
  if (!Has(record, "lifecyclePreview")) {
    return AwsError::Client("LifecyclePolicyPreviewNotFoundException",
                            "There is no dry run for the repository with name '" + RepositoryName(in) +
                                "' in the registry with id '" + r.options().account_id + "'");
  }
  const object& preview = GetObject(record, "lifecyclePreview");
  object out = PolicyAnswer(r, in, GetString(preview, "lifecyclePolicyText"));
  out["status"] = "COMPLETE";
  out["previewResults"] = GetArray(preview, "previewResults");
  out["summary"] = object{{"expiringImageTotalCount", GetInt(preview, "expiringImageTotalCount").value_or(0)}};
  return out;
}

}  // namespace wharf::api::ecr
