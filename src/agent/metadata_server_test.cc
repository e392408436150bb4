#include "agent/metadata_server.h"

#include <boost/json/parse.hpp>
#include <mutex>

#include <gtest/gtest.h>

#include "net/http_client.h"

namespace wharf::agent {
namespace {
namespace json = boost::json;

// Knows one container token.
class FakeSource : public MetadataSource {
 public:
  Result<json::object> Container(const std::string& token) override {
    if (token != "tok-1") return Status::NotFound("no such token");
    return json::object{{"DockerId", "abc"}, {"Name", "web"}};
  }
  Result<json::object> Task(const std::string& token) override {
    if (token == "broken") return Status::Internal("Unable to generate metadata for v4 task: 'arn'");
    if (token != "tok-1") return Status::NotFound("no such token");
    return json::object{{"TaskARN", "arn:aws:ecs:us-east-1:1:task/c/t"}, {"Containers", json::array()}};
  }
  Result<json::object> Stats(const std::string& token, bool whole_task) override {
    if (token != "tok-1") return Status::NotFound("no such token");
    json::object s{{"read", "2020-10-02T00:51:13Z"}, {"memory_stats", json::object{{"usage", 1}, {"limit", 2}}}};
    if (whole_task) return json::object{{"abc", s}};
    return s;
  }
};

TEST(AnswerMetadataRequest, Routes) {
  FakeSource source;
  EXPECT_EQ(json::parse(AnswerMetadataRequest(source, "/v4/tok-1").body).at("Name"), "web");
  EXPECT_EQ(AnswerMetadataRequest(source, "/v4/tok-1/").status, 200);
  EXPECT_TRUE(json::parse(AnswerMetadataRequest(source, "/v4/tok-1/task").body).as_object().contains("TaskARN"));
  EXPECT_TRUE(json::parse(AnswerMetadataRequest(source, "/v4/tok-1/taskWithTags").body).as_object().contains("TaskARN"));
  EXPECT_TRUE(json::parse(AnswerMetadataRequest(source, "/v4/tok-1/stats").body).as_object().contains("memory_stats"));
  EXPECT_TRUE(json::parse(AnswerMetadataRequest(source, "/v4/tok-1/task/stats").body).as_object().contains("abc"));
  EXPECT_EQ(AnswerMetadataRequest(source, "/v4/tok-1/nothing").status, 404);
  EXPECT_EQ(AnswerMetadataRequest(source, "/v3/tok-1").status, 404);
  MetadataAnswer broken = AnswerMetadataRequest(source, "/v4/broken/task");
  EXPECT_EQ(broken.status, 500);
  EXPECT_EQ(broken.body, "\"Unable to generate metadata for v4 task: 'arn'\"");
}

TEST(AnswerMetadataRequest, UnknownTokenAnswersLikeTheEcsAgent) {
  FakeSource source;
  struct Case {
    const char* path;
    const char* body;
  } cases[] = {
      {"/v4/bad", "\"V4 container metadata handler: unable to get container ID from request: unable to get docker ID from v3 endpoint ID: bad\""},
      {"/v4/bad/task", "\"V4 task metadata handler: unable to get task arn from request: unable to get task Arn from v3 endpoint ID: bad\""},
      {"/v4/bad/stats", "\"V4 container stats handler: unable to get container ID from request: unable to get docker ID from v3 endpoint ID: bad\""},
      {"/v4/bad/task/stats", "\"V4 task stats handler: unable to get task arn from request: unable to get task Arn from v3 endpoint ID: bad\""},
  };
  for (const Case& c : cases) {
    MetadataAnswer a = AnswerMetadataRequest(source, c.path);
    EXPECT_EQ(a.status, 404) << c.path;
    EXPECT_EQ(a.body, c.body);
  }
}

net::HttpResponse Get(const std::string& base_url, const std::string& path) {
  // base_url: http://host:port/v4/
  std::string hostport = base_url.substr(7, base_url.find('/', 7) - 7);
  std::string host, port;
  EXPECT_TRUE(net::SplitHostPort(hostport, &host, &port));
  net::HttpClient client(host, port);
  net::HttpRequest req;
  req.target = "/v4/" + path;
  auto res = client.Send(req);
  EXPECT_TRUE(res.ok()) << res.status().ToString();
  return res.ok() ? *res : net::HttpResponse{};
}

TEST(MetadataServer, AnswersTheFourRoutesOnLoopback) {
  FakeSource source;
  auto server = MetadataServer::Start(source);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  std::string base = (*server)->BaseUrl();
  ASSERT_EQ(base.rfind("http://127.0.0.1:", 0), 0u) << base;
  ASSERT_EQ(base.substr(base.size() - 4), "/v4/");

  net::HttpResponse c = Get(base, "tok-1");
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(c.Header("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(c.body).at("DockerId"), "abc");
  EXPECT_EQ(Get(base, "tok-1/task").status, 200);
  EXPECT_EQ(json::parse(Get(base, "tok-1/stats").body).at("memory_stats").at("limit").as_int64(), 2);
  EXPECT_EQ(Get(base, "tok-1/task/stats").status, 200);

  net::HttpResponse missing = Get(base, "nope/task");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body).as_string(),
            "V4 task metadata handler: unable to get task arn from request: unable to get task Arn from v3 endpoint ID: nope");
  (*server)->Stop();
  EXPECT_EQ((*server)->BaseUrl(), "");
}

TEST(MetadataServer, MoreListenersAreIdempotentPerAddress) {
  FakeSource source;
  auto server = MetadataServer::Start(source);
  ASSERT_TRUE(server.ok());
  // 127.0.0.2 is loopback too on Linux: a stand-in for a bridge gateway.
  ASSERT_TRUE((*server)->Listen("127.0.0.2").ok());
  std::string second = (*server)->BaseUrl("127.0.0.2");
  ASSERT_EQ(second.rfind("http://127.0.0.2:", 0), 0u) << second;
  ASSERT_TRUE((*server)->Listen("127.0.0.2").ok());
  EXPECT_EQ((*server)->BaseUrl("127.0.0.2"), second);
  EXPECT_EQ(Get(second, "tok-1").status, 200);
  (*server)->Unlisten("127.0.0.2");
  EXPECT_EQ((*server)->BaseUrl("127.0.0.2"), "");
  EXPECT_EQ(Get((*server)->BaseUrl(), "tok-1").status, 200);
  EXPECT_FALSE((*server)->Listen("203.0.113.7").ok());  // not an address of this host
}

}  // namespace
}  // namespace wharf::agent
