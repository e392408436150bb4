// Pulls from a real registry (Debian's docker-registry) images built with umoci and pushed
// with skopeo, and checks them through a real overlay mount. Needs root.
#include "agent/image/image_store.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <thread>

#include "agent/snapshot/overlay.h"
#include "net/http_client.h"

namespace wharf::agent {
namespace {
namespace fs = std::filesystem;

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

void Stop(pid_t& pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  pid = -1;
}

bool WaitReady(int port, int expect_status) {
  for (int i = 0; i < 100; ++i) {
    net::HttpClient c("127.0.0.1", std::to_string(port));
    net::HttpRequest r;
    r.target = "/v2/";
    auto resp = c.Send(r);
    if (resp.ok() && resp->status == expect_status) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

void Shell(const std::string& script) {
  ASSERT_EQ(std::system(("set -e\n" + script).c_str()), 0) << script;
}

std::string RegistryConfig(const std::string& dir, int port, const std::string& htpasswd) {
  std::string c = "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: " +
                  dir + "/regdata\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port) + "\n";
  if (!htpasswd.empty()) c += "auth:\n  htpasswd:\n    realm: test\n    path: " + htpasswd + "\n";
  return c;
}

// The bearer flow of Docker Hub / ECR in miniature: /token hands out a token for Basic
// credentials user:secret; /v2/ wants it, and forwards to the real registry.
constexpr char kTokenProxy[] = R"PY(
import base64, http.server, sys, urllib.request, urllib.error
port, upstream = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path.startswith('/token'):
            ok = self.headers.get('Authorization') == 'Basic ' + base64.b64encode(b'user:secret').decode()
            ok = ok and 'scope=repository%3At%2Fbb%3Apull' in self.path and 'service=wharf-test' in self.path
            body = b'{"access_token":"tok123"}' if ok else b'{"errors":[{"message":"bad creds"}]}'
            self.send_response(200 if ok else 401)
            self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body); return
        if self.headers.get('Authorization') != 'Bearer tok123':
            body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
            self.send_response(401)
            self.send_header('WWW-Authenticate', 'Bearer realm="http://127.0.0.1:%d/token",service="wharf-test",scope="repository:t/bb:pull"' % port)
            self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body); return
        req = urllib.request.Request(upstream + self.path, headers={'Accept': self.headers.get('Accept', '*/*')})
        try:
            r = urllib.request.urlopen(req); status = r.status
        except urllib.error.HTTPError as e:
            r = e; status = e.code
        body = r.read()
        self.send_response(status)
        for k in ('Content-Type', 'Docker-Content-Digest'):
            if r.headers.get(k): self.send_header(k, r.headers.get(k))
        self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
http.server.ThreadingHTTPServer(('127.0.0.1', port), H).serve_forever()
)PY";

class ImageStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = "/tmp/wharf-image-test-" + std::to_string(::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    port_ = FreePort();
    auth_port_ = FreePort();
    token_port_ = FreePort();
    std::ofstream(dir_ + "/reg.yml") << RegistryConfig(dir_, port_, "");
    std::ofstream(dir_ + "/auth.yml") << RegistryConfig(dir_, auth_port_, dir_ + "/htpasswd");
    std::ofstream(dir_ + "/proxy.py") << kTokenProxy;
    registry_ = Spawn({"docker-registry", "serve", dir_ + "/reg.yml"}, dir_ + "/reg.log");
    const std::string reg = "127.0.0.1:" + std::to_string(port_);
    const std::string copy = "skopeo copy -q --dest-tls-verify=false ";
    // bb: busybox, a hardlink and a symlink. del: deletes /etc/hello (umoci's whiteout).
    // opq: makes /data opaque. zbb: bb with a zstd layer. odd: a layer of its own to corrupt.
    Shell("cd " + dir_ + R"SH(
umoci init --layout L && umoci new --image L:bb && umoci unpack --image L:bb B >/dev/null
mkdir -p B/rootfs/bin B/rootfs/etc B/rootfs/data && cp /bin/busybox B/rootfs/bin/
echo hi > B/rootfs/etc/hello && echo a > B/rootfs/data/a && ln B/rootfs/data/a B/rootfs/data/a-link
ln -s ../etc/hello B/rootfs/data/sym && chown 1234:5678 B/rootfs/data/a && chmod 0640 B/rootfs/data/a
setfattr -n user.wharf -v yes B/rootfs/etc/hello 2>/dev/null || true
umoci repack --image L:bb B && umoci config --image L:bb --config.cmd sh --config.env FOO=bar
umoci unpack --image L:bb C >/dev/null && rm C/rootfs/etc/hello && umoci repack --image L:del C
python3 -c "
import tarfile,io
t=tarfile.open('opq.tar','w')
for n,d in [('data/.wh..wh..opq',b''),('data/c',b'c\n')]:
  i=tarfile.TarInfo(n); i.size=len(d); t.addfile(i,io.BytesIO(d))
t.close()"
umoci raw add-layer --image L:bb --tag opq opq.tar
umoci unpack --image L:bb D >/dev/null && head -c 100000 /dev/urandom > D/rootfs/odd && umoci repack --image L:odd D
skopeo copy -q --dest-compress --dest-compress-format zstd oci:L:bb oci:Z:zbb
htpasswd -Bbc htpasswd user secret 2>/dev/null
)SH");
    ASSERT_TRUE(WaitReady(port_, 200));
    Shell(copy + "oci:" + dir_ + "/Z:zbb docker://" + reg + "/t/zbb:1");  // first: no blob reuse
    Shell(copy + "--format v2s2 oci:" + dir_ + "/L:bb docker://" + reg + "/t/bb:1");
    for (const char* t : {"del", "opq", "odd"}) {
      Shell(copy + "oci:" + dir_ + "/L:" + t + " docker://" + reg + "/t/" + t + ":1");
    }
    auth_registry_ = Spawn({"docker-registry", "serve", dir_ + "/auth.yml"}, dir_ + "/auth.log");
    token_proxy_ = Spawn({"python3", dir_ + "/proxy.py", std::to_string(token_port_),
                          "http://" + reg},
                         dir_ + "/proxy.log");
    ASSERT_TRUE(WaitReady(auth_port_, 401));
    ASSERT_TRUE(WaitReady(token_port_, 401));
  }

  static void TearDownTestSuite() {
    Stop(token_proxy_);
    Stop(auth_registry_);
    Stop(registry_);
    fs::remove_all(dir_);
  }

  void SetUp() override {
    store_dir_ = dir_ + "/node-" + std::to_string(counter_++);
    auto store = ImageStore::Open(store_dir_ + "/images");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  void TearDown() override {
    for (const auto& c : containers_) EXPECT_TRUE(UnmountRootfs(c).ok());
    fs::remove_all(store_dir_);
  }

  std::string Ref(const std::string& name) {
    return "127.0.0.1:" + std::to_string(port_) + "/t/" + name + ":1";
  }

  Result<std::string> Mount(const Image& image) {
    containers_.push_back(store_dir_ + "/c" + std::to_string(containers_.size()));
    return MountRootfs(image, containers_.back(), false);
  }

  static std::string Slurp(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  static inline std::string dir_;
  static inline int port_, auth_port_, token_port_, counter_ = 0;
  static inline pid_t registry_ = -1, auth_registry_ = -1, token_proxy_ = -1;
  std::string store_dir_;
  std::vector<std::string> containers_;
  std::unique_ptr<ImageStore> store_;
};

TEST_F(ImageStoreTest, PullsBusyboxAndMountsItsRootfs) {
  auto t0 = std::chrono::steady_clock::now();
  auto image = store_->Pull(Ref("bb"), {});
  auto cold = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->layer_dirs.size(), 1u);
  EXPECT_EQ(image->config.at("Cmd").as_array().at(0).as_string(), "sh");
  EXPECT_EQ(image->config.at("Env").as_array().at(0).as_string(), "FOO=bar");

  // prefer-cached: the second pull asks the registry nothing at all.
  int endpoint_calls = 0;
  PullOptions counting;
  counting.endpoint = [&](const std::string& registry) -> Result<RegistryEndpoint> {
    ++endpoint_calls;
    return Status::Unavailable("no network in this test");
  };
  t0 = std::chrono::steady_clock::now();
  auto again = store_->Pull(Ref("bb"), counting);
  auto cached = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(endpoint_calls, 0);
  EXPECT_EQ(again->manifest_digest, image->manifest_digest);
  std::printf("busybox pull: cold %.1f ms, cached %.3f ms\n",
              std::chrono::duration<double, std::milli>(cold).count(),
              std::chrono::duration<double, std::milli>(cached).count());
  // kAlways re-resolves, so it does go to the registry.
  counting.policy = PullPolicy::kAlways;
  EXPECT_TRUE(store_->Pull(Ref("bb"), counting).status().IsUnavailable());
  EXPECT_EQ(endpoint_calls, 1);

  auto rootfs = Mount(*image);
  ASSERT_TRUE(rootfs.ok()) << rootfs.status().ToString();
  EXPECT_TRUE(IsMountPoint(*rootfs));
  struct stat st, st2;
  ASSERT_EQ(::stat((*rootfs + "/bin/busybox").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  ASSERT_EQ(::stat((*rootfs + "/data/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  ASSERT_EQ(::stat((image->layer_dirs[0] + "/data/a-link").c_str(), &st2), 0);
  ASSERT_EQ(::stat((image->layer_dirs[0] + "/data/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, st2.st_ino) << "hardlink kept within the layer";
  EXPECT_EQ(fs::read_symlink(*rootfs + "/data/sym"), "../etc/hello");
  EXPECT_EQ(Slurp(*rootfs + "/data/sym"), "hi\n");
  // Writes land in the container's upper dir, never in the shared snapshot.
  std::ofstream(*rootfs + "/etc/hello") << "changed\n";
  EXPECT_EQ(Slurp(image->layer_dirs[0] + "/etc/hello"), "hi\n");
  EXPECT_TRUE(MountRootfs(*image, containers_.back(), false).ok()) << "idempotent";
  ASSERT_TRUE(UnmountRootfs(containers_.back()).ok());
  EXPECT_FALSE(IsMountPoint(*rootfs));
  EXPECT_FALSE(fs::exists(containers_.back() + "/upper"));
}

TEST_F(ImageStoreTest, WhiteoutHidesTheDeletedFile) {
  auto image = store_->Pull(Ref("del"), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ASSERT_EQ(image->layer_dirs.size(), 2u);
  struct stat st;
  ASSERT_EQ(::lstat((image->layer_dirs[1] + "/etc/hello").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(fs::exists(image->layer_dirs[1] + "/etc/.wh.hello"));
  auto rootfs = Mount(*image);
  ASSERT_TRUE(rootfs.ok()) << rootfs.status().ToString();
  EXPECT_FALSE(fs::exists(*rootfs + "/etc/hello"));
  EXPECT_TRUE(fs::exists(*rootfs + "/bin/busybox"));
  // The base layer is shared with bb: pulling bb now unpacks nothing new.
  auto bb = store_->Pull(Ref("bb"), {});
  ASSERT_TRUE(bb.ok());
  EXPECT_EQ(bb->layer_dirs[0], image->layer_dirs[0]);
}

TEST_F(ImageStoreTest, OpaqueDirectoryHidesTheLowerContents) {
  auto image = store_->Pull(Ref("opq"), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  char value[8] = {};
  EXPECT_EQ(::lgetxattr((image->layer_dirs.back() + "/data").c_str(), "trusted.overlay.opaque",
                        value, sizeof value),
            1);
  EXPECT_EQ(value[0], 'y');
  auto rootfs = Mount(*image);
  ASSERT_TRUE(rootfs.ok()) << rootfs.status().ToString();
  EXPECT_FALSE(fs::exists(*rootfs + "/data/a"));
  EXPECT_EQ(Slurp(*rootfs + "/data/c"), "c\n");
  EXPECT_EQ(Slurp(*rootfs + "/etc/hello"), "hi\n");
}

TEST_F(ImageStoreTest, ZstdLayer) {
  auto image = store_->Pull(Ref("zbb"), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_TRUE(fs::exists(image->layer_dirs[0] + "/bin/busybox"));
}

TEST_F(ImageStoreTest, ManifestListPicksLinuxAmd64) {
  net::HttpClient c("127.0.0.1", std::to_string(port_));
  auto manifest = [&](const std::string& repo) {
    net::HttpRequest r;
    r.target = "/v2/t/" + repo + "/manifests/1";
    r.headers = {{"Accept", "application/vnd.oci.image.manifest.v1+json"}};
    auto resp = c.Send(r);
    return std::make_pair(std::string(resp->Header("Docker-Content-Digest")), resp->body.size());
  };
  // Both manifests must live in the index's repository.
  Shell("skopeo copy -q --dest-tls-verify=false oci:" + dir_ + "/L:del docker://127.0.0.1:" +
      std::to_string(port_) + "/t/multi:arm");
  Shell("skopeo copy -q --dest-tls-verify=false oci:" + dir_ + "/L:opq docker://127.0.0.1:" +
      std::to_string(port_) + "/t/multi:amd");
  auto [arm, arm_size] = manifest("del");
  auto [amd, amd_size] = manifest("opq");
  boost::json::object index{
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.index.v1+json"},
      {"manifests",
       boost::json::array{
           {{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", arm},
            {"size", arm_size}, {"platform", {{"os", "linux"}, {"architecture", "arm64"}}}},
           {{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", amd},
            {"size", amd_size}, {"platform", {{"os", "linux"}, {"architecture", "amd64"}}}}}}};
  net::HttpRequest put;
  put.method = "PUT";
  put.target = "/v2/t/multi/manifests/1";
  put.headers = {{"Content-Type", "application/vnd.oci.image.index.v1+json"}};
  put.body = boost::json::serialize(index);
  auto resp = c.Send(put);
  ASSERT_TRUE(resp.ok());
  ASSERT_EQ(resp->status, 201) << resp->body;
  auto image = store_->Pull(Ref("multi"), {});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->manifest_digest, amd);
}

TEST_F(ImageStoreTest, ErrorsSayWhatWentWrong) {
  auto missing = store_->Pull(Ref("bb").substr(0, Ref("bb").size() - 2) + ":nope", {});
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find("manifest unknown"), std::string::npos)
      << missing.status().message();
  EXPECT_TRUE(store_->Pull("Bad Ref", {}).status().IsInvalidArgument());
  auto down = store_->Pull("127.0.0.1:" + std::to_string(FreePort()) + "/t/bb:1", {});
  EXPECT_TRUE(down.status().IsUnavailable()) << down.status().ToString();
}

TEST_F(ImageStoreTest, RefusesALayerThatDoesNotMatchItsDigest) {
  const std::string reg = dir_ + "/regdata/docker/registry/v2/blobs/sha256/";
  net::HttpClient c("127.0.0.1", std::to_string(port_));
  net::HttpRequest r;
  r.target = "/v2/t/odd/manifests/1";
  r.headers = {{"Accept", "application/vnd.oci.image.manifest.v1+json"}};
  auto resp = c.Send(r);
  ASSERT_TRUE(resp.ok());
  auto layers = boost::json::parse(resp->body).at("layers").as_array();
  std::string top(layers.back().at("digest").as_string());
  const std::string blob = reg + top.substr(7, 2) + "/" + top.substr(7) + "/data";
  const auto size = fs::file_size(blob);
  Shell("head -c " + std::to_string(size) + " /dev/zero > " + blob);  // same size, wrong bytes
  auto image = store_->Pull(Ref("odd"), {});
  EXPECT_FALSE(image.ok());
  EXPECT_NE(image.status().message().find("digest mismatch"), std::string::npos)
      << image.status().ToString();
  for (const auto& e : fs::directory_iterator(store_dir_ + "/images/snapshots")) {
    EXPECT_EQ(e.path().filename().string().rfind(".tmp-", 0), std::string::npos);
  }
  EXPECT_TRUE(fs::is_empty(store_dir_ + "/images/ingest"));
}

TEST_F(ImageStoreTest, BasicAuth) {
  const std::string ref = "127.0.0.1:" + std::to_string(auth_port_) + "/t/bb:1";
  auto anonymous = store_->Pull(ref, {});
  EXPECT_TRUE(anonymous.status().IsFailedPrecondition()) << anonymous.status().ToString();
  PullOptions options;
  options.credentials = [](const std::string&) -> Result<std::optional<RegistryCredentials>> {
    return std::optional<RegistryCredentials>(RegistryCredentials{"user", "secret"});
  };
  auto image = store_->Pull(ref, options);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
}

TEST_F(ImageStoreTest, BearerTokenFlow) {
  // An ECR-looking name, mapped to the local proxy as the agent maps ECR to the wharf server.
  const std::string ref = "000000000000.dkr.ecr.us-east-1.amazonaws.com/t/bb:1";
  PullOptions options;
  options.endpoint = [&](const std::string& registry) -> Result<RegistryEndpoint> {
    EXPECT_EQ(registry, "000000000000.dkr.ecr.us-east-1.amazonaws.com");
    return RegistryEndpoint{"http", "127.0.0.1", std::to_string(token_port_)};
  };
  auto denied = store_->Pull(ref, options);
  EXPECT_TRUE(denied.status().IsFailedPrecondition()) << denied.status().ToString();
  options.credentials = [](const std::string&) -> Result<std::optional<RegistryCredentials>> {
    return std::optional<RegistryCredentials>(RegistryCredentials{"user", "secret"});
  };
  auto image = store_->Pull(ref, options);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_TRUE(fs::exists(image->layer_dirs[0] + "/bin/busybox"));
}

TEST_F(ImageStoreTest, ConcurrentPullsOfOneImage) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] { ok += store_->Pull(Ref("del"), {}).ok(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
}

TEST_F(ImageStoreTest, CollectKeepsOnlyWhatIsInUse) {
  auto bb = store_->Pull(Ref("bb"), {});
  auto del = store_->Pull(Ref("del"), {});
  auto opq = store_->Pull(Ref("opq"), {});
  ASSERT_TRUE(bb.ok() && del.ok() && opq.ok());
  ASSERT_TRUE(store_->Collect({del->manifest_digest}).ok());
  EXPECT_TRUE(store_->Get(del->manifest_digest).ok());
  EXPECT_FALSE(store_->Get(opq->manifest_digest).ok());
  EXPECT_FALSE(store_->Get(bb->manifest_digest).ok());
  EXPECT_FALSE(fs::exists(opq->layer_dirs.back()));
  EXPECT_TRUE(fs::exists(del->layer_dirs[0])) << "shared base layer is still in use";
  // A collected image pulls again.
  auto again = store_->Pull(Ref("opq"), {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_TRUE(store_->Collect({}).ok());
  EXPECT_TRUE(fs::is_empty(store_dir_ + "/images/snapshots"));
  EXPECT_TRUE(fs::is_empty(store_dir_ + "/images/blobs/sha256"));
  EXPECT_TRUE(fs::is_empty(store_dir_ + "/images/refs"));
}

}  // namespace
}  // namespace wharf::agent
