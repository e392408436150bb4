// aws:ResourceTag/<key> of CloudFormation stacks, read by the authorization front door from
// the stack records: a stack named by its full ARN or as stack/<name>/* (how the checks name a
// stack given by name) is allowed when tagged team=a, refused when untagged.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "api/cloudformation/cloudformation.h"
#include "controlplane/stack_engine.h"
#include "model/keys.h"
#include "model/stack.h"
#include "store/memory_store.h"
#include "tests/support/resource_tag_check.h"

namespace wharf::api::cloudformation {
namespace {

namespace json = boost::json;

// Nothing is provisioned here: the engine is only what the endpoint's deps name.
class NoProvisioner final : public controlplane::ResourceProvisioner {
 public:
  Result<controlplane::ProvisionedResource> Create(const model::Stack&, std::string_view, std::string_view,
                                                   const json::object&, std::string&) override {
    return Status::FailedPrecondition("unused");
  }
  Result<controlplane::ProvisionedResource> Update(const model::Stack&, const model::StackResource&,
                                                   const json::object&) override {
    return Status::FailedPrecondition("unused");
  }
  Status Delete(const model::Stack&, const model::StackResource&) override { return Status::OK(); }
};

constexpr char kPrefix[] = "arn:aws:cloudformation:us-east-1:000000000000:stack/";

TEST(CloudFormationResourceTagTest, StacksAreAuthorizedByTheirTags) {
  store::MemoryStore store;
  SystemClock clock;
  FastRandom random;
  NoProvisioner provisioner;
  controlplane::StackEngine engine(controlplane::StackEngineDeps{
      store, clock, provisioner, "us-east-1", "000000000000",
      [](std::string_view) { return std::vector<std::string>{"us-east-1a"}; }});
  auto made = MakeCloudFormationEndpoint({store, clock, random, "us-east-1", "000000000000", engine});
  ASSERT_TRUE(made.ok());
  auto put = [&](const std::string& name, json::array tags) {
    model::Stack stack;
    stack.name = name;
    stack.stack_id = std::string(kPrefix) + name + "/0b6a1f2e-0000-4000-8000-" + std::string(12 - name.size(), '0') + name;
    stack.status = "CREATE_COMPLETE";
    stack.tags = std::move(tags);
    EXPECT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put(model::keys::StackKey(name),
                                                            json::serialize(stack.ToJson()))}}).ok());
    return stack.stack_id;
  };
  std::string tagged_id = put("tagged", json::array{json::object{{"Key", "team"}, {"Value", "a"}}});
  put("plain", json::array{});

  testing::ResourceTagCheck check(store);
  ASSERT_TRUE(check.AllowWhenTagged("cloudformation:*", "aws:ResourceTag/team", "a"));
  EXPECT_TRUE(check.Allowed(*made, "cloudformation:DescribeStacks", tagged_id));
  EXPECT_TRUE(check.Allowed(*made, "cloudformation:DescribeStacks", std::string(kPrefix) + "tagged/*"));
  EXPECT_FALSE(check.Allowed(*made, "cloudformation:DescribeStacks", std::string(kPrefix) + "plain/*"));
  // Another stack's id under the tagged stack's name is not that stack.
  EXPECT_FALSE(check.Allowed(*made, "cloudformation:DescribeStacks",
                             std::string(kPrefix) + "tagged/11111111-2222-4333-8444-555555555555"));
}

}  // namespace
}  // namespace wharf::api::cloudformation
