#include "scheduler/placement.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>

#include "scheduler/fargate_capacity.h"

namespace wharf::scheduler {
namespace {

Instance MakeInstance(const std::string& id, const std::string& zone, int64_t cpu = 1024,
                      int64_t memory = 2048) {
  Instance in;
  in.id = id;
  in.arn = "arn:aws:ecs:us-east-1:000000000000:container-instance/default/" + id;
  in.attributes = {{"ecs.availability-zone", zone}, {"ecs.instance-type", "t2.small"},
                   {"ecs.os-type", "linux"}};
  in.remaining_cpu = cpu;
  in.remaining_memory = memory;
  return in;
}

TaskShape MakeTask(int64_t cpu = 256, int64_t memory = 512, std::string group = "family:web") {
  TaskShape t;
  t.cpu = cpu;
  t.memory = memory;
  t.group = std::move(group);
  t.task_definition_arn = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1";
  return t;
}

std::map<std::string, int> CountById(const Plan& plan) {
  std::map<std::string, int> out;
  for (const auto& arn : plan.instance_arns) out[arn.substr(arn.rfind('/') + 1)]++;
  return out;
}

Plan MustPlace(const std::vector<Instance>& instances, const TaskShape& task, int count,
               const std::vector<Constraint>& constraints,
               const std::vector<Strategy>& strategies, uint64_t seed = 1) {
  auto plan = Place(instances, task, count, constraints, strategies, seed);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? std::move(plan).value() : Plan{};
}

TEST(PlacementTest, BinpackMemoryPicksLeastRemainingThatStillFits) {
  std::vector<Instance> in = {MakeInstance("big", "a", 4096, 8192),
                              MakeInstance("small", "a", 4096, 1024),
                              MakeInstance("tiny", "a", 4096, 256)};  // too small for 512
  Plan plan = MustPlace(in, MakeTask(), 3, {}, {{"binpack", "memory"}});
  // small takes two (1024 -> 512 -> 0), then big.
  ASSERT_EQ(plan.instance_arns.size(), 3u);
  EXPECT_EQ(plan.instance_arns[0], in[1].arn);
  EXPECT_EQ(plan.instance_arns[1], in[1].arn);
  EXPECT_EQ(plan.instance_arns[2], in[0].arn);
  EXPECT_TRUE(plan.failures.empty());
}

TEST(PlacementTest, BinpackCpu) {
  std::vector<Instance> in = {MakeInstance("roomy", "a", 4096, 8192),
                              MakeInstance("snug", "a", 512, 8192)};
  Plan plan = MustPlace(in, MakeTask(), 3, {}, {{"binpack", "cpu"}});
  EXPECT_EQ(CountById(plan), (std::map<std::string, int>{{"snug", 2}, {"roomy", 1}}));
  EXPECT_EQ(plan.instance_arns[0], in[1].arn);
}

TEST(PlacementTest, SpreadInstanceIdCountsTasksOfTheSameGroupOnly) {
  std::vector<Instance> in = {MakeInstance("i1", "a", 8192, 16384),
                              MakeInstance("i2", "a", 8192, 16384),
                              MakeInstance("i3", "a", 8192, 16384)};
  in[0].task_groups = {"family:web", "family:web"};
  in[1].task_groups = {"family:other", "family:other", "family:other"};  // not counted
  Plan plan = MustPlace(in, MakeTask(), 4, {}, {{"spread", "instanceId"}});
  // i2 and i3 start at 0 of the group, i1 at 2: 0/0/2 -> the 4 tasks even it out to 2/2/2.
  EXPECT_EQ(CountById(plan), (std::map<std::string, int>{{"i2", 2}, {"i3", 2}}));
  Plan host = MustPlace(in, MakeTask(), 4, {}, {{"spread", "host"}});
  EXPECT_EQ(CountById(host), CountById(plan));
}

TEST(PlacementTest, SpreadAcrossAvailabilityZones) {
  std::vector<Instance> in;
  for (int i = 0; i < 4; ++i) in.push_back(MakeInstance("a" + std::to_string(i), "us-east-1a", 8192, 16384));
  in.push_back(MakeInstance("b0", "us-east-1b", 8192, 16384));
  in.push_back(MakeInstance("c0", "us-east-1c", 8192, 16384));
  Plan plan = MustPlace(in, MakeTask(), 6, {}, {{"spread", "attribute:ecs.availability-zone"}});
  std::map<std::string, int> per_zone;
  for (const auto& arn : plan.instance_arns)
    for (const auto& i : in)
      if (i.arn == arn) per_zone[i.attributes.at("ecs.availability-zone")]++;
  EXPECT_EQ(per_zone, (std::map<std::string, int>{
                          {"us-east-1a", 2}, {"us-east-1b", 2}, {"us-east-1c", 2}}));
}

TEST(PlacementTest, StrategiesApplyInOrderAsTieBreakers) {
  // spread by zone first, then binpack memory within the chosen zone.
  std::vector<Instance> in = {MakeInstance("a-big", "us-east-1a", 4096, 8192),
                              MakeInstance("a-small", "us-east-1a", 4096, 2048),
                              MakeInstance("b-big", "us-east-1b", 4096, 8192),
                              MakeInstance("b-small", "us-east-1b", 4096, 1024)};
  in[0].task_groups = {"family:web"};  // zone a already has one task of the group
  Plan plan = MustPlace(in, MakeTask(), 3, {},
                        {{"spread", "attribute:ecs.availability-zone"}, {"binpack", "memory"}});
  ASSERT_EQ(plan.instance_arns.size(), 3u);
  EXPECT_EQ(plan.instance_arns[0], in[3].arn);  // zone b has none of the group; least memory
  // Zones tie 1:1, so binpack decides among all four: b-small, 512 left, still fits.
  EXPECT_EQ(plan.instance_arns[1], in[3].arn);
  EXPECT_EQ(plan.instance_arns[2], in[1].arn);  // zone a (1 < 2), least memory there
}

TEST(PlacementTest, RandomIsDeterministicForASeedAndUsesManyInstances) {
  std::vector<Instance> in;
  for (int i = 0; i < 10; ++i) in.push_back(MakeInstance("i" + std::to_string(i), "a", 1 << 20, 1 << 20));
  Plan one = MustPlace(in, MakeTask(), 50, {}, {{"random", ""}}, 7);
  Plan two = MustPlace(in, MakeTask(), 50, {}, {{"random", ""}}, 7);
  Plan other = MustPlace(in, MakeTask(), 50, {}, {{"random", ""}}, 8);
  EXPECT_EQ(one.instance_arns, two.instance_arns);
  EXPECT_NE(one.instance_arns, other.instance_arns);
  EXPECT_GE(CountById(one).size(), 6u);
}

TEST(PlacementTest, DefaultForStandaloneTasksIsRandom) {
  std::vector<Instance> in;
  for (int i = 0; i < 10; ++i) in.push_back(MakeInstance("i" + std::to_string(i), "a", 1 << 20, 1 << 20));
  Plan def = MustPlace(in, MakeTask(), 30, {}, {}, 3);
  Plan random = MustPlace(in, MakeTask(), 30, {}, {{"random", ""}}, 3);
  EXPECT_EQ(def.instance_arns, random.instance_arns);
}

TEST(PlacementTest, DefaultForServiceTasksSpreadsZonesThenInstances) {
  std::vector<Instance> in = {MakeInstance("a1", "us-east-1a", 8192, 16384),
                              MakeInstance("a2", "us-east-1a", 8192, 16384),
                              MakeInstance("a3", "us-east-1a", 8192, 16384),
                              MakeInstance("b1", "us-east-1b", 8192, 16384)};
  Plan plan = MustPlace(in, MakeTask(256, 512, "service:web"), 4, {}, {});
  // 2 per zone; within zone a, two different instances.
  EXPECT_EQ(CountById(plan)["b1"], 2);
  int a_instances = 0;
  for (auto& [id, n] : CountById(plan))
    if (id[0] == 'a') { ++a_instances; EXPECT_EQ(n, 1); }
  EXPECT_EQ(a_instances, 2);
}

TEST(PlacementTest, DistinctInstanceAndItsFailure) {
  std::vector<Instance> in = {MakeInstance("i1", "a", 8192, 16384),
                              MakeInstance("i2", "a", 8192, 16384),
                              MakeInstance("i3", "a", 8192, 16384)};
  in[2].task_groups = {"family:web"};  // already runs one of the group
  Plan plan = MustPlace(in, MakeTask(), 3, {{"distinctInstance", ""}}, {{"binpack", "memory"}});
  EXPECT_EQ(CountById(plan), (std::map<std::string, int>{{"i1", 1}, {"i2", 1}}));
  ASSERT_EQ(plan.failures.size(), 3u);  // one per container instance
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(plan.failures[i].arn, in[i].arn);
    EXPECT_EQ(plan.failures[i].reason, "DistinctInstance placement constraint unsatisfied.");
  }
  // Another group is not affected.
  Plan other = MustPlace(in, MakeTask(256, 512, "family:other"), 3, {{"distinctInstance", ""}}, {});
  EXPECT_EQ(other.instance_arns.size(), 3u);
}

TEST(PlacementTest, MemberOfAttributeConstraintAndItsFailure) {
  std::vector<Instance> in = {MakeInstance("t2", "a"), MakeInstance("m5", "a")};
  in[1].attributes["ecs.instance-type"] = "m5.large";
  Plan plan = MustPlace(in, MakeTask(), 2, {{"memberOf", "attribute:ecs.instance-type =~ t2.*"}}, {});
  EXPECT_EQ(CountById(plan), (std::map<std::string, int>{{"t2", 2}}));

  Plan none = MustPlace(in, MakeTask(), 1, {{"memberOf", "attribute:ecs.instance-type == g2.2xlarge"}}, {});
  EXPECT_TRUE(none.instance_arns.empty());
  ASSERT_EQ(none.failures.size(), 2u);
  EXPECT_EQ(none.failures[0].reason, "MemberOf placement constraint unsatisfied.");
  EXPECT_EQ(none.failures[1].arn, in[1].arn);
}

TEST(PlacementTest, MemberOfTaskGroupSeesTasksPlacedEarlierInTheCall) {
  std::vector<Instance> in = {MakeInstance("i1", "a", 8192, 16384), MakeInstance("i2", "a", 8192, 16384)};
  in[1].task_groups = {"database"};
  // Anti-affinity with its own group: no task joins one placed before it in this call.
  Plan plan = MustPlace(in, MakeTask(), 3, {{"memberOf", "not(task:group == family:web)"}}, {});
  EXPECT_EQ(CountById(plan), (std::map<std::string, int>{{"i1", 1}, {"i2", 1}}));
  ASSERT_EQ(plan.failures.size(), 2u);
  EXPECT_EQ(plan.failures[0].reason, "MemberOf placement constraint unsatisfied.");
  // Affinity: only next to the database.
  Plan aff = MustPlace(in, MakeTask(), 3, {{"memberOf", "task:group == database"}}, {});
  EXPECT_EQ(CountById(aff), (std::map<std::string, int>{{"i2", 3}}));
}

TEST(PlacementTest, ResourceFailuresNameEachInstanceWithItsFirstReason) {
  std::vector<Instance> in = {MakeInstance("nocpu", "a", 100, 8192),
                              MakeInstance("nomem", "a", 4096, 100),
                              MakeInstance("neither", "a", 100, 100)};
  Plan plan = MustPlace(in, MakeTask(), 1, {}, {});
  EXPECT_TRUE(plan.instance_arns.empty());
  ASSERT_EQ(plan.failures.size(), 3u);
  EXPECT_EQ(plan.failures[0].arn, in[0].arn);
  EXPECT_EQ(plan.failures[0].reason, "RESOURCE:CPU");
  EXPECT_EQ(plan.failures[1].reason, "RESOURCE:MEMORY");
  EXPECT_EQ(plan.failures[2].reason, "RESOURCE:CPU");
  EXPECT_EQ(plan.failures[0].detail, "");
}

TEST(PlacementTest, PartialPlacementConsumesResourcesThenReportsFailures) {
  std::vector<Instance> in = {MakeInstance("i1", "a", 1024, 1024), MakeInstance("i2", "a", 1024, 1024)};
  Plan plan = MustPlace(in, MakeTask(256, 512), 10, {}, {{"spread", "instanceId"}});
  EXPECT_EQ(CountById(plan), (std::map<std::string, int>{{"i1", 2}, {"i2", 2}}));
  ASSERT_EQ(plan.failures.size(), 2u);  // per instance, not per unplaced task
  EXPECT_EQ(plan.failures[0].reason, "RESOURCE:MEMORY");
  EXPECT_EQ(plan.failures[1].reason, "RESOURCE:MEMORY");
  // The input snapshot is untouched.
  EXPECT_EQ(in[0].remaining_memory, 1024);
}

TEST(PlacementTest, HostPortsAreConsumedAndConflictsFail) {
  std::vector<Instance> in = {MakeInstance("i1", "a", 8192, 16384), MakeInstance("i2", "a", 8192, 16384)};
  in[1].used_ports = {22, 8080};
  TaskShape task = MakeTask();
  task.host_ports = {8080};
  Plan plan = MustPlace(in, task, 3, {}, {{"binpack", "memory"}});
  EXPECT_EQ(CountById(plan), (std::map<std::string, int>{{"i1", 1}}));
  ASSERT_EQ(plan.failures.size(), 2u);
  EXPECT_EQ(plan.failures[0].reason, "RESOURCE:PORTS");
  EXPECT_EQ(plan.failures[1].reason, "RESOURCE:PORTS");
}

TEST(PlacementTest, RequiredAttributesAndAgent) {
  std::vector<Instance> in = {MakeInstance("plain", "a"), MakeInstance("gone", "a"),
                              MakeInstance("eni", "a")};
  in[1].agent_connected = false;
  in[1].attributes["ecs.capability.task-eni"] = "";
  in[2].attributes["ecs.capability.task-eni"] = "";
  TaskShape task = MakeTask();
  task.required_attributes = {"ecs.capability.task-eni"};
  Plan plan = MustPlace(in, task, 1, {}, {});
  EXPECT_EQ(CountById(plan), (std::map<std::string, int>{{"eni", 1}}));
  Plan fail = MustPlace({in[0], in[1]}, task, 1, {}, {});
  ASSERT_EQ(fail.failures.size(), 2u);
  EXPECT_EQ(fail.failures[0].reason, "ATTRIBUTE");
  EXPECT_EQ(fail.failures[1].reason, "AGENT");
}

TEST(PlacementTest, DrainingInstancesAreNeverUsedNorNamed) {
  std::vector<Instance> in = {MakeInstance("draining", "a", 8192, 16384), MakeInstance("small", "a", 256, 512)};
  in[0].active = false;
  Plan plan = MustPlace(in, MakeTask(), 2, {}, {{"binpack", "memory"}});
  EXPECT_EQ(CountById(plan), (std::map<std::string, int>{{"small", 1}}));
  ASSERT_EQ(plan.failures.size(), 1u);
  EXPECT_EQ(plan.failures[0].arn, in[1].arn);
  auto none = Place({in[0]}, MakeTask(), 1, {}, {}, 1);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(), "No Container Instances were found in your cluster.");
  EXPECT_FALSE(Place({}, MakeTask(), 1, {}, {}, 1).ok());
  EXPECT_TRUE(Place({}, MakeTask(), 0, {}, {}, 1).ok());
}

TEST(PlacementTest, MalformedConstraintsAndStrategiesAreInvalidArgument) {
  std::vector<Instance> in = {MakeInstance("i1", "a")};
  auto bad = [&](std::vector<Constraint> c, std::vector<Strategy> s) {
    auto r = Place(in, MakeTask(), 1, c, s, 1);
    EXPECT_FALSE(r.ok());
    if (!r.ok()) {
      EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
    }
    EXPECT_FALSE(ValidatePlacement(c, s).ok());
  };
  bad({{"sameInstance", ""}}, {});
  bad({{"memberOf", ""}}, {});
  bad({{"memberOf", "attribute:x =="}}, {});
  bad({{"distinctInstance", "attribute:x == y"}}, {});
  bad(std::vector<Constraint>(11, Constraint{"distinctInstance", ""}), {});
  bad({}, {{"binpack", "disk"}});
  bad({}, {{"binpack", ""}});
  bad({}, {{"spread", ""}});
  bad({}, {{"spread", "attribute:"}});
  bad({}, {{"pack", "cpu"}});
  bad({}, std::vector<Strategy>(6, Strategy{"random", ""}));
  EXPECT_FALSE(Place(in, MakeTask(), -1, {}, {}, 1).ok());
  EXPECT_TRUE(ValidatePlacement({{"memberOf", "attribute:x == y"}, {"distinctInstance", ""}},
                                {{"spread", "attribute:ecs.availability-zone"}, {"binpack", "MEMORY"}})
                  .ok());
}

// Seed 001's numbers: a FARGATE service of 2 tasks of 1 vCPU / 3 GB, deployment 100 % / 200 %,
// on a 2-core node (2,048 CPU units) with the memory of a small machine (8 GiB).
constexpr Resources kTwoCoreNode{2048, 8192};
constexpr int64_t kSeedCpu = 1024, kSeedMemory = 3072;

Instance NodeInstance() {
  Instance n = MakeInstance("node-1", "us-east-1a");
  n.arn = n.id;  // Fargate candidates are nodes, not container instances
  return n;
}

TEST(FargateCapacityTest, SeedOnesUpdatePeakOfFourTasksPlacesOnTwoCores) {
  // The 2 running tasks of the old revision, then the 2 of the new one (the 200 % peak).
  Instance node = FargateNode(NodeInstance(), kTwoCoreNode, {2 * kSeedCpu, 2 * kSeedMemory},
                              kDefaultFargateOvercommit);
  Plan plan = MustPlace({node}, MakeTask(kSeedCpu, kSeedMemory, "service:alba-digi-service"), 2, {},
                        {{"spread", "instanceId"}});
  EXPECT_EQ(plan.instance_arns.size(), 2u);
  EXPECT_TRUE(plan.failures.empty());
  // All four at once from an empty node, too.
  Instance empty = FargateNode(NodeInstance(), kTwoCoreNode, {}, kDefaultFargateOvercommit);
  Plan four = MustPlace({empty}, MakeTask(kSeedCpu, kSeedMemory, "service:alba-digi-service"), 4, {},
                        {{"spread", "instanceId"}});
  EXPECT_EQ(four.instance_arns.size(), 4u);
  EXPECT_TRUE(four.failures.empty());
}

TEST(FargateCapacityTest, Ec2TasksStayStrictOnTheSameNumbers) {
  // The container instance as DescribeContainerInstances shows it: registered, not overcommitted.
  Instance instance = MakeInstance("ci-1", "us-east-1a", kTwoCoreNode.cpu, kTwoCoreNode.memory);
  Plan plan = MustPlace({instance}, MakeTask(kSeedCpu, kSeedMemory, "service:web"), 4, {}, {});
  EXPECT_EQ(plan.instance_arns.size(), 2u);  // 2 x 1,024 units fill 2 cores
  ASSERT_EQ(plan.failures.size(), 1u);
  EXPECT_EQ(plan.failures[0].arn, instance.arn);
  EXPECT_EQ(plan.failures[0].reason, "RESOURCE:CPU");
}

TEST(FargateCapacityTest, OvercommittedPoolRefusesPastTheFactor) {
  // 4 x 2,048 = 8,192 units: eight 1-vCPU tasks, not nine.
  Instance empty = FargateNode(NodeInstance(), kTwoCoreNode, {}, 4.0);
  Plan plan = MustPlace({empty}, MakeTask(kSeedCpu, 512), 9, {}, {{"spread", "instanceId"}});
  EXPECT_EQ(plan.instance_arns.size(), 8u);
  ASSERT_EQ(plan.failures.size(), 1u);
  EXPECT_EQ(plan.failures[0].reason, "RESOURCE:CPU");
  // Memory is overcommitted by the same factor: 4 x 8 GiB = 32 GiB, ten 3 GB tasks, not eleven.
  Plan memory = MustPlace({empty}, MakeTask(256, kSeedMemory), 11, {}, {{"spread", "instanceId"}});
  EXPECT_EQ(memory.instance_arns.size(), 10u);
  ASSERT_EQ(memory.failures.size(), 1u);
  EXPECT_EQ(memory.failures[0].reason, "RESOURCE:MEMORY");
  // A factor of 1 is EC2's accounting: the update's peak no longer fits.
  Instance strict = FargateNode(NodeInstance(), kTwoCoreNode, {2 * kSeedCpu, 2 * kSeedMemory}, 1.0);
  Plan none = MustPlace({strict}, MakeTask(kSeedCpu, kSeedMemory), 1, {}, {});
  EXPECT_TRUE(none.instance_arns.empty());
  EXPECT_EQ(none.failures[0].reason, "RESOURCE:CPU");
}

TEST(FargateCapacityTest, PoolIsLessEverythingTheNodeRuns) {
  // reserved counts EC2 tasks too, so a node full of EC2 tasks has (factor - 1) x its size
  // left for Fargate; more EC2 tasks than the pool leaves it negative, and nothing fits.
  EXPECT_EQ(FargateRemaining(kTwoCoreNode, {2048, 8192}, 4.0).cpu, 6144);
  EXPECT_EQ(FargateRemaining(kTwoCoreNode, {2048, 8192}, 4.0).memory, 24576);
  EXPECT_EQ(FargateRemaining({2048, 7977}, {}, 1.5).memory, 11965);  // rounded down
  Instance over = FargateNode(NodeInstance(), kTwoCoreNode, {9000, 0}, 4.0);
  EXPECT_EQ(over.remaining_cpu, -808);
  Plan plan = MustPlace({over}, MakeTask(0, 0), 1, {}, {});
  EXPECT_TRUE(plan.instance_arns.empty());
  EXPECT_EQ(plan.failures[0].reason, "RESOURCE:CPU");
  // The node keeps its identity and attributes.
  EXPECT_EQ(over.arn, "node-1");
  EXPECT_EQ(over.attributes.at("ecs.availability-zone"), "us-east-1a");
}

TEST(PlacementTest, TenThousandTasksOnAThousandInstancesWithEveryStrategy) {
  std::vector<Instance> cluster;
  const char* zones[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
  for (int i = 0; i < 1000; ++i)
    cluster.push_back(MakeInstance("ci-" + std::to_string(i), zones[i % 3], 4096, 16384));
  TaskShape task = MakeTask(128, 256, "service:web");
  const std::vector<std::vector<Strategy>> cases = {
      {{"binpack", "memory"}}, {{"binpack", "cpu"}}, {{"spread", "instanceId"}},
      {{"spread", "attribute:ecs.availability-zone"}}, {{"random", ""}}, {}};
  for (const auto& strategies : cases) {
    auto start = std::chrono::steady_clock::now();
    Plan plan = MustPlace(cluster, task, 10000, {}, strategies, 42);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(plan.instance_arns.size(), 10000u);
    EXPECT_TRUE(plan.failures.empty());
    // A guard against a plan gone quadratic, not a benchmark (bench/scheduler_bench.cc measures).
    EXPECT_LT(ms, 5000) << (strategies.empty() ? "default" : strategies[0].type);
    if (!strategies.empty() && strategies[0].type == "binpack") {
      // 4096/128 = 32 tasks fill an instance's CPU: binpack fills instances one by one.
      EXPECT_EQ(CountById(plan).size(), 10000u / 32 + 1);
    }
    if (!strategies.empty() && strategies[0].field == "instanceId") {
      for (auto& [id, n] : CountById(plan)) EXPECT_EQ(n, 10) << id;
    }
  }
}

}  // namespace
}  // namespace wharf::scheduler
