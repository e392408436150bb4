// ARNs as AWS shapes them: arn:aws:<service>:<region>:<account>:<resource>, and the pieces
// wharf reads back out of them. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace wharf::model {

// Where an account's regional resources live: every ARN of a request carries both.
struct ArnScope {
  std::string region;
  std::string account_id;
};

std::string Arn(std::string_view service, const ArnScope& scope, std::string_view resource);
inline std::string EcsArn(const ArnScope& scope, std::string_view resource) { return Arn("ecs", scope, resource); }

// The last path segment of an ARN ("arn:...:task/cluster/abc" -> "abc"), or the text itself.
std::string ShortId(std::string_view arn_or_id);

// "name" or "arn:aws:ecs:...:cluster/name" -> "name"; empty input -> "default".
std::string ClusterName(std::string_view name_or_arn);

// "arn:aws:elasticloadbalancing:...:targetgroup/<name>/<id>" -> "<name>".
std::string TargetGroupName(std::string_view arn);

}  // namespace wharf::model
