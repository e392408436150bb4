#include "controlplane/service_deployments.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include "model/json.h"
#include "model/service.h"

namespace wharf::controlplane {
namespace {
namespace json = boost::json;

constexpr char kServiceArn[] = "arn:aws:ecs:us-east-1:000000000000:service/prod/web";

json::object Service() {
  return json::object{{"serviceArn", kServiceArn},
                      {"clusterArn", "arn:aws:ecs:us-east-1:000000000000:cluster/prod"},
                      {"serviceName", "web"},
                      {"taskDefinition", "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1"},
                      {"desiredCount", 2},
                      {"deploymentConfiguration",
                       json::object{{"deploymentCircuitBreaker", json::object{{"enable", true}, {"rollback", true}}}}}};
}

// A new PRIMARY deployment, as UpdateService makes it.
void Deploy(FastRandom& random, json::object& service, double now, const std::string& td) {
  service["taskDefinition"] = td;
  json::array deployments{model::NewDeployment(random, now, service)};
  if (json::value* old = service.if_contains("deployments")) {
    for (auto& d : old->as_array()) {
      d.as_object()["status"] = "ACTIVE";
      deployments.push_back(d);
    }
  }
  service["deployments"] = std::move(deployments);
  BeginServiceDeployment(random, now, service);
}

json::object& Primary(json::object& service) { return service["deployments"].as_array()[0].as_object(); }

TEST(ServiceDeploymentsTest, FirstDeploymentIsInProgressThenSuccessful) {
  FastRandom random;
  json::object service = Service();
  Deploy(random, service, 100, "web:1");
  auto all = ServiceDeploymentsOf(service);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(GetString(all[0], "status"), "IN_PROGRESS");
  EXPECT_EQ(GetArray(all[0], "sourceServiceRevisions").size(), 0u);
  // The target revision ARN ends in the digits of the deployment id, as Terraform matches.
  std::string id = GetString(Primary(service), "id");
  std::string target = GetString(GetObject(all[0], "targetServiceRevision"), "arn");
  EXPECT_EQ(target, "arn:aws:ecs:us-east-1:000000000000:service-revision/prod/web/" + id.substr(id.find('/') + 1));
  std::string arn = GetString(all[0], "serviceDeploymentArn");
  EXPECT_EQ(arn.rfind("arn:aws:ecs:us-east-1:000000000000:service-deployment/prod/web/", 0), 0u);
  EXPECT_EQ(ParseServiceChildArn(arn, "service-deployment").id.size(), 21u);

  Primary(service)["rolloutState"] = "COMPLETED";
  Primary(service)["updatedAt"] = 150;
  all = ServiceDeploymentsOf(service);
  EXPECT_EQ(GetString(all[0], "status"), "SUCCESSFUL");
  EXPECT_EQ(all[0].at("finishedAt").as_double(), 150);
  EXPECT_EQ(GetString(ServiceDeploymentBrief(all[0]), "targetServiceRevisionArn"), target);
}

TEST(ServiceDeploymentsTest, ANewerDeploymentEndsThePreviousOne) {
  FastRandom random;
  json::object service = Service();
  Deploy(random, service, 100, "web:1");
  Primary(service)["rolloutState"] = "COMPLETED";
  std::string first_revision = model::ServiceRevisionId(Primary(service));
  Deploy(random, service, 200, "web:2");
  Deploy(random, service, 300, "web:3");  // replaces web:2 while it is in progress
  auto all = ServiceDeploymentsOf(service);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(GetString(all[0], "status"), "IN_PROGRESS");
  EXPECT_EQ(GetString(all[1], "status"), "STOPPED");
  EXPECT_EQ(all[1].at("stoppedAt").as_double(), 300);
  EXPECT_EQ(GetString(all[2], "status"), "SUCCESSFUL");
  EXPECT_EQ(GetArray(all[0], "sourceServiceRevisions").size(), 2u);
  // The first revision is still described, with its task definition.
  auto revision = ServiceRevisionOf(service, first_revision);
  ASSERT_TRUE(revision);
  EXPECT_EQ(GetString(*revision, "taskDefinition"), "web:1");
  EXPECT_FALSE(ServiceRevisionOf(service, "12345"));
}

TEST(ServiceDeploymentsTest, StopRequestsARollbackCarriedByTheRollbackDeployment) {
  FastRandom random;
  json::object service = Service();
  Deploy(random, service, 100, "web:1");
  EXPECT_TRUE(RequestServiceDeploymentRollback(service, GetString(GetObject(Primary(service), model::kServiceDeployment), "id")));
  Primary(service)["rolloutState"] = "COMPLETED";
  json::object completed = Primary(service);
  Deploy(random, service, 200, "web:2");
  std::string id = GetString(GetObject(Primary(service), model::kServiceDeployment), "id");
  EXPECT_TRUE(RequestServiceDeploymentRollback(service, "nope"));
  EXPECT_FALSE(RequestServiceDeploymentRollback(service, id));
  EXPECT_TRUE(RollbackRequested(Primary(service)));
  EXPECT_EQ(GetString(ServiceDeploymentsOf(service)[0], "status"), "ROLLBACK_REQUESTED");

  // The controller fails the deployment and rolls back to the completed one.
  Primary(service)["rolloutState"] = "FAILED";
  json::object back = model::NewDeployment(random, 250, service);
  CarryServiceDeploymentToRollback(250, Primary(service), back, completed, kServiceArn, "asked");
  Primary(service)["status"] = "ACTIVE";
  service["deployments"].as_array().insert(service["deployments"].as_array().begin(), back);
  auto all = ServiceDeploymentsOf(service);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(GetString(all[0], "status"), "ROLLBACK_IN_PROGRESS");
  EXPECT_EQ(GetString(GetObject(all[0], "rollback"), "serviceRevisionArn"),
            model::ServiceRevisionArn(kServiceArn, model::ServiceRevisionId(completed)));
  Primary(service)["rolloutState"] = "COMPLETED";
  EXPECT_EQ(GetString(ServiceDeploymentsOf(service)[0], "status"), "ROLLBACK_SUCCESSFUL");
}

TEST(ServiceDeploymentsTest, HistoryIsBounded) {
  FastRandom random;
  json::object service = Service();
  for (int i = 0; i < 60; ++i) Deploy(random, service, 100 + i, "web:" + std::to_string(i + 1));
  EXPECT_EQ(ServiceDeploymentsOf(service).size(), kServiceDeploymentHistory + 1);
}

TEST(ServiceDeploymentsTest, ParsesChildArns) {
  auto ref = ParseServiceChildArn("arn:aws:ecs:eu-west-1:000000000000:service-deployment/prod/web/AbC12", "service-deployment");
  EXPECT_EQ(ref.cluster, "prod");
  EXPECT_EQ(ref.service, "web");
  EXPECT_EQ(ref.id, "AbC12");
  EXPECT_TRUE(ParseServiceChildArn("arn:aws:ecs:eu-west-1:000000000000:service-revision/prod/web/1", "service-deployment").id.empty());
  EXPECT_TRUE(ParseServiceChildArn("arn:aws:ecs:eu-west-1:000000000000:service-deployment/prod/web", "service-deployment").id.empty());
  EXPECT_TRUE(ParseServiceChildArn("nonsense", "service-deployment").id.empty());
}

}  // namespace
}  // namespace wharf::controlplane
