// The invocation protocol against a scripted fake runner: what each plugin is given.
#include "agent/network/cni.h"

#include <gtest/gtest.h>

namespace wharf::agent {
namespace {
namespace json = boost::json;

class FakeRunner : public CommandRunner {
 public:
  Result<CommandResult> Run(const Command& command) override {
    calls.push_back(command);
    std::string type = command.argv[0].substr(command.argv[0].rfind('/') + 1);
    std::string verb = command.env->at("CNI_COMMAND");
    if (type == fail_type) return CommandResult{1, fail_out, ""};
    if (verb == "DEL") return CommandResult{0, "", ""};
    return CommandResult{0, json::serialize(json::object{{"cniVersion", "1.0.0"}, {"by", type}}), ""};
  }
  std::vector<Command> calls;
  std::string fail_type;
  std::string fail_out;
};

json::object List() {
  return json::parse(R"({"cniVersion":"1.0.0","name":"n1","plugins":[
      {"type":"bridge","bridge":"br0"},
      {"type":"portmap","capabilities":{"portMappings":true,"bandwidth":true}}]})")
      .as_object();
}

json::object Stdin(const Command& c) { return json::parse(c.stdin_data).as_object(); }

TEST(CniInvoker, AddChainsPrevResultAndPassesOnlyDeclaredCapabilities) {
  FakeRunner runner;
  CniInvoker cni(runner, "/plugins");
  json::object runtime = {{"portMappings", json::array{json::object{{"hostPort", 1}}}},
                          {"ips", json::array{"10.0.0.5"}}};
  auto result = cni.Add(List(), {"task1", "/run/netns/x", "eth0"}, runtime);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->at("by").as_string(), "portmap");
  ASSERT_EQ(runner.calls.size(), 2u);

  const Command& bridge = runner.calls[0];
  EXPECT_EQ(bridge.argv[0], "/plugins/bridge");
  EXPECT_EQ(bridge.env->at("CNI_COMMAND"), "ADD");
  EXPECT_EQ(bridge.env->at("CNI_CONTAINERID"), "task1");
  EXPECT_EQ(bridge.env->at("CNI_NETNS"), "/run/netns/x");
  EXPECT_EQ(bridge.env->at("CNI_IFNAME"), "eth0");
  EXPECT_EQ(bridge.env->at("CNI_PATH"), "/plugins");
  json::object b = Stdin(bridge);
  EXPECT_EQ(b.at("name").as_string(), "n1");
  EXPECT_EQ(b.at("cniVersion").as_string(), "1.0.0");
  EXPECT_FALSE(b.contains("prevResult"));
  EXPECT_FALSE(b.contains("runtimeConfig"));

  json::object p = Stdin(runner.calls[1]);
  EXPECT_EQ(p.at("prevResult").at("by").as_string(), "bridge");
  EXPECT_FALSE(p.contains("capabilities"));
  EXPECT_TRUE(p.at("runtimeConfig").as_object().contains("portMappings"));
  EXPECT_FALSE(p.at("runtimeConfig").as_object().contains("ips"));  // not declared
}

TEST(CniInvoker, DelRunsInReverseWithTheCachedResult) {
  FakeRunner runner;
  CniInvoker cni(runner, "/plugins");
  json::object cached = {{"cniVersion", "1.0.0"}, {"by", "cache"}};
  ASSERT_TRUE(cni.Del(List(), {"task1", "", "eth0"}, &cached, {}).ok());
  ASSERT_EQ(runner.calls.size(), 2u);
  EXPECT_EQ(runner.calls[0].argv[0], "/plugins/portmap");
  EXPECT_EQ(runner.calls[1].argv[0], "/plugins/bridge");
  for (const Command& c : runner.calls) {
    EXPECT_EQ(c.env->at("CNI_COMMAND"), "DEL");
    EXPECT_EQ(Stdin(c).at("prevResult").at("by").as_string(), "cache");
  }
}

TEST(CniInvoker, PluginErrorCarriesItsMessageAndAddIsRolledBack) {
  FakeRunner runner;
  runner.fail_type = "portmap";
  runner.fail_out = R"({"cniVersion":"1.0.0","code":11,"msg":"xtables lock busy","details":"try later"})";
  CniInvoker cni(runner, "/plugins");
  auto result = cni.Add(List(), {"task1", "/run/netns/x", "eth0"}, {});
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsUnavailable());
  EXPECT_NE(result.status().message().find("xtables lock busy (try later)"), std::string::npos)
      << result.status().message();
  // ADD bridge, ADD portmap (fails), then DEL portmap, DEL bridge.
  ASSERT_EQ(runner.calls.size(), 4u);
  EXPECT_EQ(runner.calls[2].env->at("CNI_COMMAND"), "DEL");
  EXPECT_EQ(runner.calls[3].argv[0], "/plugins/bridge");
}

TEST(CniInvoker, RejectsPluginTypesThatAreNotPlainNames) {
  FakeRunner runner;
  CniInvoker cni(runner, "/plugins");
  json::object bad = {{"type", "../../bin/sh"}, {"name", "n"}, {"cniVersion", "1.0.0"}};
  EXPECT_TRUE(cni.Exec("ADD", bad, {"t", "", "eth0"}).status().IsInvalidArgument());
  EXPECT_TRUE(runner.calls.empty());
}

}  // namespace
}  // namespace wharf::agent
