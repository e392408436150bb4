// What a task's execution role fetches, against a fake API: the calls made, the values
// placed, and ECS's stoppedReason for each way it fails.
#include "agent/task_secrets.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "model/json.h"

namespace wharf::agent {
namespace {
namespace json = boost::json;

constexpr char kDb[] = "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf";
constexpr char kTask[] = "arn:aws:ecs:us-east-1:000000000000:task/default/0123";
const std::string kReason =
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ";

// Secrets Manager and Parameter Store with a few values; records every call.
class FakeApi final : public ExecutionRoleCalls {
 public:
  std::map<std::string, std::string> secrets{{kDb, R"({"username":"app","password":"s3cret","port":5432})"},
                                             {"arn:aws:secretsmanager:us-east-1:000000000000:secret:reg-AbCdEf",
                                              R"({"username":"puller","password":"pw"})"}};
  std::map<std::string, std::string> parameters{{"/app/key", "k1"}, {"plain", "p1"}};
  std::string deny;  // "<service>": every call to it is refused as IAM refuses it
  std::vector<std::string> calls;

  Result<json::object> Call(const std::string& task_arn, std::string_view service, std::string_view target,
                            const json::object& input, std::string_view region) override {
    EXPECT_EQ(task_arn, kTask);
    calls.push_back(std::string(target) + " " + std::string(region) + " " + json::serialize(input));
    if (service == deny) return Status::InvalidArgument("AccessDeniedException: User: role is not authorized");
    if (service == "secretsmanager") {
      auto it = secrets.find(GetString(input, "SecretId"));
      if (it == secrets.end()) return Status::InvalidArgument("ResourceNotFoundException: Secrets Manager can't find the specified secret.");
      return json::object{{"ARN", it->first}, {"SecretString", it->second}};
    }
    json::array found, invalid;
    for (const auto& n : GetArray(input, "Names")) {
      std::string name(n.as_string());
      auto it = parameters.find(name);
      if (size_t at = name.find(":parameter/"); at != std::string::npos) {
        std::string rest = name.substr(at + 10);  // "/x/y" or "/plain"
        it = parameters.count(rest) ? parameters.find(rest) : parameters.find(rest.substr(1));
      }
      if (it == parameters.end()) {
        invalid.push_back(n);
      } else {
        found.push_back(json::object{{"Name", it->first}, {"Value", it->second},
                                     {"ARN", "arn:aws:ssm:us-east-1:000000000000:parameter" +
                                                 std::string(it->first[0] == '/' ? "" : "/") + it->first}});
      }
    }
    return json::object{{"Parameters", found}, {"InvalidParameters", invalid}};
  }
};

json::object Container(std::string_view text) { return json::parse(text).as_object(); }

TEST(TaskSecretsTest, SecretsBecomeVariablesWithOneCallPerSecretVersionAndParameterBatch) {
  FakeApi api;
  auto app = Container(std::string(R"({"name":"app","secrets":[)") +
                       R"({"name":"PASSWORD","valueFrom":")" + kDb + R"(:password::"},)" +
                       R"({"name":"PORT","valueFrom":")" + kDb + R"(:port::"},)" +
                       R"({"name":"ALL","valueFrom":")" + kDb + R"("},)" +
                       R"({"name":"KEY","valueFrom":"/app/key"},)" +
                       R"({"name":"PLAIN","valueFrom":"arn:aws:ssm:us-east-1:000000000000:parameter/plain"}],)" +
                       R"("logConfiguration":{"logDriver":"awslogs","secretOptions":[{"name":"awslogs-group","valueFrom":"plain"}]}})");
  auto other = Container(R"({"name":"sidecar"})");
  auto fetched = FetchTaskSecrets({app, other}, kTask, "us-east-1", api);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  ASSERT_EQ(fetched->count("sidecar"), 0u);
  const ContainerSecrets& s = fetched->at("app");
  EXPECT_EQ(s.environment, (std::vector<std::string>{"PASSWORD=s3cret", "PORT=5432",
                                                     R"(ALL={"username":"app","password":"s3cret","port":5432})",
                                                     "KEY=k1", "PLAIN=p1"}));
  EXPECT_EQ(s.log_options, (std::map<std::string, std::string>{{"awslogs-group", "p1"}}));
  // One GetParameters (the same parameter by name and by ARN is two names) and one GetSecretValue
  // for the three uses of the secret.
  ASSERT_EQ(api.calls.size(), 2u) << api.calls[0];
  EXPECT_EQ(api.calls[0], R"(AmazonSSM.GetParameters us-east-1 {"Names":["/app/key","arn:aws:ssm:us-east-1:000000000000:parameter/plain","plain"],"WithDecryption":true})");
  EXPECT_EQ(api.calls[1], std::string(R"(secretsmanager.GetSecretValue us-east-1 {"SecretId":")") + kDb + R"("})");
}

TEST(TaskSecretsTest, AStageOrVersionIsItsOwnCallInTheArnsRegion) {
  FakeApi api;
  api.secrets["arn:aws:secretsmanager:eu-west-1:000000000000:secret:x-AbCdEf"] = "old";
  auto app = Container(R"({"name":"app","secrets":[{"name":"X",
      "valueFrom":"arn:aws:secretsmanager:eu-west-1:000000000000:secret:x-AbCdEf::AWSPREVIOUS:"}]})");
  auto fetched = FetchTaskSecrets({app}, kTask, "us-east-1", api);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(fetched->at("app").environment, std::vector<std::string>{"X=old"});
  EXPECT_EQ(api.calls.at(0), R"(secretsmanager.GetSecretValue eu-west-1 {"SecretId":"arn:aws:secretsmanager:eu-west-1:000000000000:secret:x-AbCdEf","VersionStage":"AWSPREVIOUS"})");
}

TEST(TaskSecretsTest, FailuresAreEcsStoppedReasons) {
  FakeApi api;
  api.deny = "ssm";
  auto fetched = FetchTaskSecrets({Container(R"({"name":"app","secrets":[{"name":"K","valueFrom":"/app/key"}]})")},
                                  kTask, "us-east-1", api);
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.status().message(),
            kReason + "unable to retrieve secrets from ssm: service call has been retried 1 time(s): operation error "
                      "SSM: GetParameters, https response error StatusCode: 400, api error AccessDeniedException: User: "
                      "role is not authorized");

  api.deny = "";
  fetched = FetchTaskSecrets({Container(R"({"name":"app","secrets":[{"name":"K","valueFrom":"/nope"}]})")}, kTask,
                             "us-east-1", api);
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.status().message(), kReason + "unable to retrieve secrets from ssm: service call has been "
                                                  "retried 1 time(s): invalid ssm parameters: /nope");

  api.deny = "secretsmanager";
  fetched = FetchTaskSecrets({Container(std::string(R"({"name":"app","secrets":[{"name":"K","valueFrom":")") + kDb +
                                        R"("}]})")},
                             kTask, "us-east-1", api);
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.status().message(),
            kReason + "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch "
                      "secret " + kDb + " from secrets manager: operation error Secrets Manager: GetSecretValue, "
                      "https response error StatusCode: 400, api error AccessDeniedException: User: role is not "
                      "authorized");

  fetched = FetchTaskSecrets({Container(R"({"name":"app","secrets":[{"name":"K",
      "valueFrom":"arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf:password"}]})")},
                             kTask, "us-east-1", api);
  ASSERT_FALSE(fetched.ok());
  EXPECT_TRUE(fetched.status().message().starts_with(kReason + "unable to retrieve secret from asm: trying to "
                                                               "retrieve secret with value"));
}

TEST(TaskSecretsTest, RepositoryCredentialsComeFromTheSecretsJson) {
  FakeApi api;
  const std::string reg = "arn:aws:secretsmanager:us-east-1:000000000000:secret:reg-AbCdEf";
  auto fetched = FetchTaskSecrets(
      {Container(R"({"name":"app","repositoryCredentials":{"credentialsParameter":")" + reg + R"("}})")}, kTask,
      "us-east-1", api);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  ASSERT_TRUE(fetched->at("app").registry.has_value());
  EXPECT_EQ(fetched->at("app").registry->username, "puller");
  EXPECT_EQ(fetched->at("app").registry->password, "pw");

  api.secrets[reg] = R"({"username":"puller"})";
  fetched = FetchTaskSecrets(
      {Container(R"({"name":"app","repositoryCredentials":{"credentialsParameter":")" + reg + R"("}})")}, kTask,
      "us-east-1", api);
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.status().message(), kReason + "unable to get registry auth from asm: asm fetching password: "
                                                  "AuthorizationData is malformed, empty field");

  api.secrets.erase(reg);
  fetched = FetchTaskSecrets(
      {Container(R"({"name":"app","repositoryCredentials":{"credentialsParameter":")" + reg + R"("}})")}, kTask,
      "us-east-1", api);
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.status().message(),
            kReason + "unable to get registry auth from asm: service call has been retried 1 time(s): asm fetching "
                      "secret from the service for " + reg + ": operation error Secrets Manager: GetSecretValue, "
                      "https response error StatusCode: 400, api error ResourceNotFoundException: Secrets Manager "
                      "can't find the specified secret.");
}

}  // namespace
}  // namespace wharf::agent
