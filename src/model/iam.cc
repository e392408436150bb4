#include "model/iam.h"

#include "base/crypto.h"

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

std::string LoginPasswordHash(std::string_view salt, std::string_view password) {
  constexpr int kRounds = 20000;
  std::string h = HmacSha256(salt, password);
  for (int i = 1; i < kRounds; ++i) h = HmacSha256(salt, h);
  return HexEncode(h);
}

}  // namespace wharf::model::iam
