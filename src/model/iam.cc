#include "model/iam.h"

namespace wharf::model::iam {

std::string NewUniqueId(Random& random, std::string_view prefix) {
  return std::string(prefix) + RandomAlnum(random, 17, true);
}

std::string NewAccessKeyId(Random& random) { return "AKIA" + RandomAlnum(random, 16, true); }

std::string IamArn(std::string_view account, std::string_view type, std::string_view path,
                   std::string_view name) {
  std::string arn = "arn:aws:iam::";
  arn.append(account).append(":").append(type).append(path.empty() ? "/" : path).append(name);
  return arn;
}

bool IsAwsManagedPolicyArn(std::string_view arn) { return arn.starts_with("arn:aws:iam::aws:policy/"); }

}  // namespace wharf::model::iam
