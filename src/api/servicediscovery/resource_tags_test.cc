// aws:ResourceTag/<key> of Cloud Map namespaces and services, read by the authorization front
// door from the records the handlers write: tagged team=a is allowed, untagged is refused.
#include <gtest/gtest.h>

#include "api/servicediscovery/servicediscovery.h"
#include "model/json.h"
#include "store/memory_store.h"
#include "tests/support/resource_tag_check.h"

namespace wharf::api::servicediscovery {
namespace {

namespace json = boost::json;

class CloudMapResourceTagTest : public ::testing::Test {
 protected:
  CloudMapResourceTagTest() {
    auto made = MakeServiceDiscoveryEndpoint(deps_);
    EXPECT_TRUE(made.ok());
    endpoint_ = std::move(made).value();
  }

  json::object Ok(const std::string& op, json::object in) {
    Outcome out = endpoint_.operations.at(op)(RequestContext{}, in);
    EXPECT_TRUE(out.ok()) << op << ": " << (out.ok() ? "" : out.error().code + " " + out.error().message);
    return out.ok() ? out.output() : json::object();
  }

  // The ARN of the namespace named `name`.
  std::string NamespaceArn(const std::string& name) {
    json::object listed = Ok("ListNamespaces", {});
    for (const auto& ns : wharf::GetArray(listed, "Namespaces")) {
      if (wharf::GetString(ns.as_object(), "Name") == name) return wharf::GetString(ns.as_object(), "Arn");
    }
    ADD_FAILURE() << "no namespace " << name;
    return "";
  }

  store::MemoryStore store_;
  SystemClock clock_;
  FastRandom random_;
  CloudMapDeps deps_{store_, clock_, random_, "us-east-1", "000000000000"};  // the endpoint points at it
  ServiceEndpoint endpoint_;
};

TEST_F(CloudMapResourceTagTest, NamespacesAndServicesAreAuthorizedByTheirTags) {
  json::array team_a{json::object{{"Key", "team"}, {"Value", "a"}}};
  Ok("CreateHttpNamespace", {{"Name", "tagged"}, {"Tags", team_a}});
  Ok("CreateHttpNamespace", {{"Name", "plain"}});
  std::string tagged = NamespaceArn("tagged"), plain = NamespaceArn("plain");
  std::string tagged_id = tagged.substr(tagged.rfind('/') + 1);
  json::object made = Ok("CreateService", {{"Name", "web"}, {"NamespaceId", tagged_id}, {"Tags", team_a}});
  std::string tagged_service = wharf::GetString(wharf::GetObject(made, "Service"), "Arn");
  made = Ok("CreateService", {{"Name", "api"}, {"NamespaceId", tagged_id}});
  std::string plain_service = wharf::GetString(wharf::GetObject(made, "Service"), "Arn");

  testing::ResourceTagCheck check(store_);
  ASSERT_TRUE(check.AllowWhenTagged("servicediscovery:*", "aws:ResourceTag/team", "a"));
  EXPECT_TRUE(check.Allowed(endpoint_, "servicediscovery:GetNamespace", tagged));
  EXPECT_FALSE(check.Allowed(endpoint_, "servicediscovery:GetNamespace", plain));
  EXPECT_TRUE(check.Allowed(endpoint_, "servicediscovery:GetService", tagged_service));
  EXPECT_FALSE(check.Allowed(endpoint_, "servicediscovery:GetService", plain_service));

  // A tag added later decides the next request.
  Ok("TagResource", {{"ResourceARN", plain}, {"Tags", team_a}});
  EXPECT_TRUE(check.Allowed(endpoint_, "servicediscovery:GetNamespace", plain));
}

}  // namespace
}  // namespace wharf::api::servicediscovery
