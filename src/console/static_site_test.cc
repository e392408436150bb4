#include "console/static_site.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace wharf::console {
namespace {

namespace http = boost::beast::http;

TEST(StaticSiteTest, TellsConsoleTargetsFromApiRequests) {
  EXPECT_TRUE(IsConsoleTarget("/console"));
  EXPECT_TRUE(IsConsoleTarget("/console/"));
  EXPECT_TRUE(IsConsoleTarget("/console/assets/index-1a2b.js"));
  EXPECT_TRUE(IsConsoleTarget("/console?x=1"));
  EXPECT_FALSE(IsConsoleTarget("/"));
  EXPECT_FALSE(IsConsoleTarget("/consoles"));
  EXPECT_FALSE(IsConsoleTarget("/v2/"));
  EXPECT_FALSE(IsConsoleTarget("/?Action=DescribeVpcs"));
}

TEST(StaticSiteTest, MapsTargetsToFilesInsideTheRoot) {
  EXPECT_EQ(*SitePath("/console/"), "index.html");
  EXPECT_EQ(*SitePath("/console/?tab=tasks"), "index.html");
  EXPECT_EQ(*SitePath("/console/assets/index-1a2b.js"), "assets/index-1a2b.js");
  for (const char* bad : {"/console/../credentials", "/console/assets/../../x", "/console/.env", "/console/a//b",
                          "/console/%2e%2e/x", "/console/a\\b", "/console/assets/"}) {
    EXPECT_TRUE(SitePath(bad).status().IsNotFound()) << bad;
  }
}

TEST(StaticSiteTest, NamesContentTypes) {
  EXPECT_EQ(ContentType("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentType("assets/a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentType("assets/a.woff2"), "font/woff2");
  EXPECT_EQ(ContentType("x.bin"), "application/octet-stream");
}

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "assets");
    Write("index.html", "<html></html>");
    Write("assets/app.js", "console.log(1)");
    Write("assets/app.js.gz", "gz");
  }
  void Write(const std::string& name, const std::string& text) { std::ofstream(dir_.path() / name) << text; }
  net::Request Get(const std::string& target, http::verb method = http::verb::get) {
    net::Request req{method, target, 11};
    return req;
  }
  testing::TempDir dir_;
  StaticSite site_{dir_.path().string()};
};

TEST_F(ServeTest, ServesIndexWithAPolicyThatKeepsItOnItsOrigin) {
  net::Reply reply = site_.Serve(Get("/console/"));
  EXPECT_EQ(reply.response.result(), http::status::ok);
  EXPECT_EQ(reply.file, (dir_.path() / "index.html").string());
  EXPECT_EQ(reply.response[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(reply.response[http::field::cache_control], "no-cache");
  EXPECT_NE(std::string(reply.response["Content-Security-Policy"]).find("connect-src 'self'"), std::string::npos);
}

TEST_F(ServeTest, RedirectsTheBarePrefix) {
  net::Reply reply = site_.Serve(Get("/console"));
  EXPECT_EQ(reply.response.result(), http::status::moved_permanently);
  EXPECT_EQ(reply.response[http::field::location], "/console/");
}

TEST_F(ServeTest, ServesGzipOnlyToBrowsersThatAcceptIt) {
  net::Request req = Get("/console/assets/app.js");
  EXPECT_EQ(site_.Serve(req).file, (dir_.path() / "assets/app.js").string());
  req.set(http::field::accept_encoding, "gzip, deflate, br");
  net::Reply reply = site_.Serve(req);
  EXPECT_EQ(reply.file, (dir_.path() / "assets/app.js.gz").string());
  EXPECT_EQ(reply.response[http::field::content_encoding], "gzip");
  EXPECT_EQ(reply.response[http::field::cache_control], "public, max-age=31536000, immutable");
}

TEST_F(ServeTest, HeadCarriesTheLengthWithoutTheBody) {
  net::Reply reply = site_.Serve(Get("/console/index.html", http::verb::head));
  EXPECT_TRUE(reply.file.empty());
  EXPECT_EQ(reply.response[http::field::content_length], "13");
}

TEST_F(ServeTest, RefusesMissingFilesAndOtherMethods) {
  EXPECT_EQ(site_.Serve(Get("/console/assets/none.js")).response.result(), http::status::not_found);
  EXPECT_EQ(site_.Serve(Get("/console/../x")).response.result(), http::status::not_found);
  EXPECT_EQ(site_.Serve(Get("/console/", http::verb::post)).response.result(), http::status::method_not_allowed);
}

TEST(StaticSiteUnbuiltTest, SaysTheConsoleIsNotBuilt) {
  StaticSite site("/nonexistent-wharf-console");
  net::Reply reply = site.Serve(net::Request{http::verb::get, "/console/", 11});
  EXPECT_EQ(reply.response.result(), http::status::not_found);
  EXPECT_NE(reply.response.body().find("not built"), std::string::npos);
}

}  // namespace
}  // namespace wharf::console
