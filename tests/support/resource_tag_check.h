// For the unit tests of a service's aws:ResourceTag/<key> (ServiceEndpoint::resource_tags): an
// IAM user "ci" whose one inline policy allows `action` on any resource whose tag `key` is
// `value`, and the authorization front door's answer for that user on one resource, with the
// endpoint under test telling the resource's tags.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <optional>
#include <string>

#include "api/authorize.h"
#include "controlplane/authorizer.h"
#include "model/iam.h"
#include "model/keys.h"
#include "store/store.h"

namespace wharf::testing {

class ResourceTagCheck {
 public:
  // `store` is the one the endpoint reads (the user's record is written there too).
  ResourceTagCheck(store::Store& store, std::string region = "us-east-1")
      : store_(store), authorizer_(store, nullptr) {
    (void)authorizer_.Start();
    api::KeyOwner owner;
    owner.root = false;
    owner.user_name = "ci";
    owner.user_path = "/";
    owner.user_id = "AIDAEXAMPLE";
    ctx_.region = std::move(region);
    ctx_.account_id = "000000000000";
    ctx_.access_key_id = "AKIAEXAMPLE";
    api::SetPrincipal(ctx_, owner);
    ctx_.key_owner = std::make_shared<const api::KeyOwner>(owner);
  }

  // The user's policy: Allow `action` on "*" when `condition_key` (aws:ResourceTag/team) equals `value`.
  bool AllowWhenTagged(const std::string& action, const std::string& condition_key, const std::string& value) {
    std::string document = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":")" + action +
                           R"(","Resource":"*","Condition":{"StringEquals":{")" + condition_key + R"(":")" + value +
                           R"("}}}]})";
    boost::json::object user{
        {"User", boost::json::object{{"UserName", "ci"}, {"UserId", "AIDAEXAMPLE"}, {"Path", "/"}}},
        {model::iam::kInlinePolicies, boost::json::object{{"p", document}}}};
    auto committed = store_.Commit(
        store::Txn{{}, {store::Op::Put(model::keys::IamUserKey("ci"), boost::json::serialize(user))}});
    authorizer_.Changed();
    return committed.ok();
  }

  // Whether the user may do `action` on `resource` (an ARN) as `endpoint` tells its tags.
  bool Allowed(const api::ServiceEndpoint& endpoint, std::string action, std::string resource) {
    auto denial = api::Denial(authorizer_, ctx_, {api::authz::Check{std::move(action), std::move(resource), {}}},
                              &endpoint);
    return denial.ok() && !denial->has_value();
  }

 private:
  store::Store& store_;
  controlplane::Authorizer authorizer_;
  api::RequestContext ctx_;
};

}  // namespace wharf::testing
