#include "scheduler/cluster_query.h"

#include <gtest/gtest.h>

namespace wharf::scheduler {
namespace {

Instance MakeInstance() {
  Instance in;
  in.arn = "arn:aws:ecs:us-east-1:000000000000:container-instance/default/abc";
  in.id = "abc";
  in.attributes = {{"ecs.instance-type", "t2.small"},
                   {"ecs.availability-zone", "us-east-1a"},
                   {"ecs.os-type", "linux"},
                   {"ecs.capability.docker-remote-api.1.30", ""},
                   {"stack", "prod"},
                   {"weight", "10"}};
  in.task_groups = {"service:production", "family:batch"};
  in.ec2_instance_id = "i-abcd1234";
  in.agent_version = "1.14.5";
  in.registered_at = 1529360908;  // 2018-06-18T22:28:28Z
  return in;
}

// Parses (must succeed) and evaluates against `in`.
bool Eval(const std::string& expr, const Instance& in) {
  auto q = ClusterQuery::Parse(expr);
  EXPECT_TRUE(q.ok()) << expr << ": " << q.status().ToString();
  return q.ok() && q->Matches(in);
}

TEST(ClusterQueryTest, StringEqualityAndInequality) {
  Instance in = MakeInstance();
  EXPECT_TRUE(Eval("attribute:ecs.instance-type == t2.small", in));
  EXPECT_TRUE(Eval("attribute:ecs.instance-type equals t2.small", in));
  EXPECT_FALSE(Eval("attribute:ecs.instance-type == t2.medium", in));
  EXPECT_TRUE(Eval("attribute:ecs.availability-zone != us-east-1d", in));
  EXPECT_TRUE(Eval("attribute:stack not_equals dev", in));
  EXPECT_FALSE(Eval("attribute:stack != prod", in));
  // AWS: "attribute:stack != prod" lists instances WITH stack unless it is prod.
  EXPECT_FALSE(Eval("attribute:missing != prod", in));
  EXPECT_TRUE(Eval("not(attribute:missing == prod)", in));
}

TEST(ClusterQueryTest, ArgumentLists) {
  Instance in = MakeInstance();
  EXPECT_TRUE(Eval("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", in));
  EXPECT_FALSE(Eval("attribute:ecs.availability-zone in [us-east-1c,us-east-1b]", in));
  EXPECT_TRUE(Eval("attribute:ecs.availability-zone not_in [us-east-1c]", in));
  EXPECT_FALSE(Eval("attribute:ecs.availability-zone !in [us-east-1a]", in));
  EXPECT_TRUE(Eval("ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", in));
  EXPECT_TRUE(Eval("ec2InstanceId in [\"i-abcd1234\"]", in));
}

TEST(ClusterQueryTest, PatternMatchIsWholeValueRegex) {
  Instance in = MakeInstance();
  EXPECT_TRUE(Eval("attribute:ecs.instance-type =~ t2.*", in));
  EXPECT_TRUE(Eval("attribute:ecs.instance-type matches t2.*", in));
  EXPECT_FALSE(Eval("attribute:ecs.instance-type =~ g2.*", in));
  EXPECT_FALSE(Eval("attribute:ecs.instance-type =~ t2", in));  // whole value, not a search
  EXPECT_TRUE(Eval("attribute:ecs.instance-type !~ g2.*", in));
  EXPECT_TRUE(Eval("attribute:ecs.instance-type not_matches m5.*", in));
  EXPECT_TRUE(Eval("attribute:ecs.instance-type =~ (t2|t3)\\.small", in));
  EXPECT_TRUE(Eval("not(attribute:ecs.instance-type =~ (m5|c5).*)", in));
  EXPECT_TRUE(Eval("ec2InstanceId =~ i-.*", in));
}

TEST(ClusterQueryTest, ExistsAndNotExists) {
  Instance in = MakeInstance();
  EXPECT_TRUE(Eval("attribute:ecs.capability.docker-remote-api.1.30 exists", in));
  EXPECT_FALSE(Eval("attribute:gpu exists", in));
  EXPECT_TRUE(Eval("attribute:gpu !exists", in));
  EXPECT_TRUE(Eval("attribute:gpu not_exists", in));
  EXPECT_FALSE(Eval("attribute:stack not_exists", in));
}

TEST(ClusterQueryTest, Orderings) {
  Instance in = MakeInstance();
  EXPECT_TRUE(Eval("attribute:weight > 9", in));  // numeric, not "10" < "9"
  EXPECT_TRUE(Eval("attribute:weight >= 10", in));
  EXPECT_FALSE(Eval("attribute:weight < 10", in));
  EXPECT_TRUE(Eval("attribute:weight <= 10", in));
  EXPECT_TRUE(Eval("attribute:weight greater_than 2", in));
  EXPECT_TRUE(Eval("attribute:weight less_than_equal 10", in));
  EXPECT_TRUE(Eval("agentVersion < 1.14.10", in));  // by version parts
  EXPECT_FALSE(Eval("agentVersion < 1.14.5", in));
  EXPECT_TRUE(Eval("agentVersion greater_than_equal 1.9", in));
}

TEST(ClusterQueryTest, RegisteredAtTakesTheDocumentedDateFormats) {
  Instance in = MakeInstance();
  EXPECT_TRUE(Eval("registeredAt < 2018-06-19", in));
  EXPECT_TRUE(Eval("registeredAt > 2018-06-18", in));
  EXPECT_TRUE(Eval("registeredAt == 2018-06-18T22:28:28Z", in));
  EXPECT_TRUE(Eval("registeredAt == 2018-06-18T22:28:28+00:00", in));
  EXPECT_TRUE(Eval("registeredAt == 2018-06-18T22:28:28", in));
  EXPECT_TRUE(Eval("registeredAt == 2018-06-19T00:28:28+02:00", in));
  EXPECT_FALSE(Eval("registeredAt < 2018-02-13", in));
  EXPECT_FALSE(ClusterQuery::Parse("registeredAt < yesterday").ok());
}

TEST(ClusterQueryTest, RunningTasksCount) {
  Instance in = MakeInstance();
  EXPECT_TRUE(Eval("runningTasksCount == 2", in));
  EXPECT_TRUE(Eval("runningTasksCount > 1", in));
  EXPECT_FALSE(Eval("runningTasksCount < 2", in));
  auto q = ClusterQuery::Parse("runningTasksCount == 1");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->DependsOnTasks());
  EXPECT_FALSE(ClusterQuery::Parse("runningTasksCount == many").ok());
}

TEST(ClusterQueryTest, TaskGroupAffinityAndAntiAffinity) {
  Instance in = MakeInstance();
  EXPECT_TRUE(Eval("task:group == service:production", in));
  EXPECT_FALSE(Eval("task:group == database", in));
  EXPECT_TRUE(Eval("not(task:group == database)", in));
  EXPECT_FALSE(Eval("not(task:group == family:batch)", in));
  EXPECT_TRUE(Eval("task:group != database", in));
  EXPECT_FALSE(Eval("task:group != family:batch", in));
  EXPECT_TRUE(Eval("task:group in [database, family:batch]", in));
  EXPECT_TRUE(Eval("task:group =~ service:.*", in));
  Instance empty = MakeInstance();
  empty.task_groups.clear();
  EXPECT_FALSE(Eval("task:group == database", empty));
  EXPECT_TRUE(Eval("not(task:group == database)", empty));
  auto q = ClusterQuery::Parse("task:group == x");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->DependsOnTasks());
  EXPECT_FALSE(ClusterQuery::Parse("attribute:a == x")->DependsOnTasks());
}

TEST(ClusterQueryTest, AgentConnected) {
  Instance in = MakeInstance();
  EXPECT_TRUE(Eval("agentConnected == true", in));
  in.agent_connected = false;
  EXPECT_TRUE(Eval("agentConnected != true", in));
}

TEST(ClusterQueryTest, CompoundExpressionsAndPrecedence) {
  Instance in = MakeInstance();
  EXPECT_TRUE(Eval(
      "attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d", in));
  EXPECT_TRUE(Eval("attribute:stack == dev or attribute:stack == prod", in));
  EXPECT_TRUE(Eval("attribute:stack == dev || attribute:stack == prod", in));
  EXPECT_FALSE(Eval("attribute:stack == dev && attribute:stack == prod", in));
  // and binds tighter than or: true or (false and false) = true.
  EXPECT_TRUE(Eval("attribute:stack == prod or attribute:a == 1 and attribute:b == 2", in));
  // Parentheses change it: (true or false) and false = false.
  EXPECT_FALSE(Eval("(attribute:stack == prod or attribute:a == 1) and attribute:b == 2", in));
  EXPECT_TRUE(Eval("!(attribute:stack == dev)", in));
  EXPECT_TRUE(Eval("NOT (attribute:stack == dev) AND attribute:ecs.os-type == linux", in));
  EXPECT_TRUE(Eval("not not attribute:stack == prod", in));
}

TEST(ClusterQueryTest, MalformedExpressionsAreInvalidArgument) {
  const char* bad[] = {
      "",
      "attribute:stack",                      // no operator
      "attribute:stack == ",                  // no value
      "attribute: == x",                      // no attribute name
      "color == red",                         // unknown subject
      "attribute:stack === prod",             // unknown operator
      "attribute:stack ~= prod",              // unknown operator
      "attribute:stack in prod",              // in wants a list
      "attribute:stack in [a, b",             // unclosed list
      "(attribute:stack == prod",             // unbalanced
      "attribute:stack == prod)",             // trailing
      "attribute:stack == prod and",          // dangling and
      "attribute:stack == prod extra",        // trailing word
      "attribute:stack =~ ([",                // bad regex
      "ec2InstanceId > i-1",                  // operator not valid for the subject
      "runningTasksCount =~ 1.*",             // operator not valid for the subject
      "task:group < x",                       // operator not valid for the subject
      "attribute:stack == 'prod",             // unterminated quote
  };
  for (const char* e : bad) {
    auto q = ClusterQuery::Parse(e);
    EXPECT_FALSE(q.ok()) << "accepted: " << e;
    if (!q.ok()) {
      EXPECT_TRUE(q.status().IsInvalidArgument()) << e;
    }
  }
  EXPECT_FALSE(ClusterQuery::Parse("attribute:a == " + std::string(2000, 'x')).ok());
}

TEST(ClusterQueryTest, QuotedValuesMayHoldSpaces) {
  Instance in = MakeInstance();
  in.attributes["team"] = "web platform";
  EXPECT_TRUE(Eval("attribute:team == 'web platform'", in));
  EXPECT_TRUE(Eval("attribute:team in ['web platform', other]", in));
}

}  // namespace
}  // namespace wharf::scheduler
