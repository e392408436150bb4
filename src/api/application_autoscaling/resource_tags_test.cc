// aws:ResourceTag/<key> of scalable targets, read by the authorization front door from the
// records RegisterScalableTarget writes: tagged team=a is allowed, untagged is refused.
#include <gtest/gtest.h>

#include "api/application_autoscaling/application_autoscaling.h"
#include "model/json.h"
#include "model/keys.h"
#include "store/memory_store.h"
#include "tests/support/resource_tag_check.h"

namespace wharf::api::application_autoscaling {
namespace {

namespace json = boost::json;

TEST(ScalableTargetResourceTagTest, TargetsAreAuthorizedByTheirTags) {
  store::MemoryStore store;
  SystemClock clock;
  FastRandom random;
  ScalingApiDeps deps{store, clock, random, "us-east-1", "000000000000"};  // the endpoint points at it
  auto made = MakeApplicationAutoScalingEndpoint(deps);
  ASSERT_TRUE(made.ok());
  auto call = [&](const std::string& op, json::object in) {
    Outcome out = made->operations.at(op)(RequestContext{}, in);
    EXPECT_TRUE(out.ok()) << op << ": " << (out.ok() ? "" : out.error().code + " " + out.error().message);
    return out.ok() ? out.output() : json::object();
  };
  auto target = [&](const std::string& service, json::object tags) {
    // The ECS service the target scales (RegisterScalableTarget wants it ACTIVE).
    EXPECT_TRUE(store.Commit(store::Txn{{}, {store::Op::Put(model::keys::ServiceKey("prod", service),
                                                            R"({"status":"ACTIVE"})")}}).ok());
    json::object in{{"ServiceNamespace", "ecs"},
                    {"ResourceId", "service/prod/" + service},
                    {"ScalableDimension", "ecs:service:DesiredCount"},
                    {"MinCapacity", 1},
                    {"MaxCapacity", 4}};
    if (!tags.empty()) in["Tags"] = std::move(tags);
    return wharf::GetString(call("RegisterScalableTarget", std::move(in)), "ScalableTargetARN");
  };
  std::string tagged = target("web", json::object{{"team", "a"}});
  std::string plain = target("api", json::object{});

  testing::ResourceTagCheck check(store);
  ASSERT_TRUE(check.AllowWhenTagged("application-autoscaling:*", "aws:ResourceTag/team", "a"));
  EXPECT_TRUE(check.Allowed(*made, "application-autoscaling:ListTagsForResource", tagged));
  EXPECT_FALSE(check.Allowed(*made, "application-autoscaling:ListTagsForResource", plain));
}

}  // namespace
}  // namespace wharf::api::application_autoscaling
