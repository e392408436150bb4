// DescribeServices' presented services are kept per version of the record: the same version
// is not parsed again, a new one (any commit to the record) is.
#include "api/ecs/presented_services.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace wharf::api::ecs {
namespace {

namespace json = boost::json;

store::KeyValue Record(int64_t mod_revision, int desired, const std::string& key = "ecs/services/c/web") {
  json::object service{{"serviceArn", "arn:aws:ecs:us-east-1:000000000000:service/c/web"},
                       {"desiredCount", desired},
                       {"tags", json::array{json::object{{"key", "team"}, {"value", "a"}}}},
                       {"_wharf", json::object{{"steady", true}}}};
  return store::KeyValue{key, json::serialize(service), 1, mod_revision};
}

TEST(PresentedServices, ParsesEachVersionOfARecordOnce) {
  PresentedServices presented;
  auto first = presented.Of(Record(5, 1));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->at("desiredCount").as_int64(), 1);
  EXPECT_FALSE((*first)->contains("_wharf"));  // presented: the internal fields are gone
  EXPECT_TRUE((*first)->contains("tags"));
  EXPECT_EQ(presented.Of(Record(5, 1)).value(), *first);  // the same object: not parsed again

  auto changed = presented.Of(Record(6, 3));  // UpdateService committed: a new mod_revision
  ASSERT_TRUE(changed.ok());
  EXPECT_NE(*changed, *first);
  EXPECT_EQ((*changed)->at("desiredCount").as_int64(), 3);
  EXPECT_EQ(presented.Of(Record(6, 3)).value(), *changed);

  // A reader still holding the older version does not put it back over the newer one.
  EXPECT_EQ(presented.Of(Record(5, 1)).value()->at("desiredCount").as_int64(), 1);
  EXPECT_EQ(presented.Of(Record(6, 3)).value(), *changed);
}

TEST(PresentedServices, StaysWithinItsBytesAndRefusesWhatIsNotJson) {
  PresentedServices presented(Record(1, 1).value.size() * 2);
  auto a = presented.Of(Record(1, 1, "ecs/services/c/a")).value();
  auto b = presented.Of(Record(1, 1, "ecs/services/c/b")).value();
  EXPECT_EQ(presented.Of(Record(1, 1, "ecs/services/c/a")).value(), a);
  presented.Of(Record(1, 1, "ecs/services/c/c")).value();  // over the bound: all dropped
  EXPECT_NE(presented.Of(Record(1, 1, "ecs/services/c/a")).value(), a);
  EXPECT_FALSE(presented.Of(store::KeyValue{"ecs/services/c/x", "not json", 1, 1}).ok());
  (void)b;
}

}  // namespace
}  // namespace wharf::api::ecs
