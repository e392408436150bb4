// The etcd conformance backend and the private etcd it runs against.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "base/mutex.h"
#include "net/http_client.h"
#include "store/etcd_store.h"
#include "tests/support/etcd_test_server.h"
#include "tests/support/store_backends.h"
#include "tests/support/temp_dir.h"

namespace wharf::testing {
namespace {

using namespace std::chrono_literals;
constexpr char kEtcdBinary[] = "/usr/bin/etcd";

// Two distinct free loopback ports. Both sockets stay bound until both are known, so the
// kernel cannot hand out the same port twice; another process may still take one before
// etcd binds it, which Start survives by trying again.
bool FreePorts(int* a, int* b) {
  int fds[2] = {-1, -1};
  int ports[2] = {0, 0};
  bool ok = true;
  for (int i = 0; i < 2 && ok; ++i) {
    fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ok = fds[i] >= 0 && bind(fds[i], reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
         getsockname(fds[i], reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    ports[i] = ntohs(addr.sin_port);
  }
  for (int fd : fds) {
    if (fd >= 0) close(fd);
  }
  *a = ports[0];
  *b = ports[1];
  return ok;
}

class EtcdProcess {
 public:
  // Starts etcd and waits until it reports healthy; nullptr (and *error) if it does not.
  static std::unique_ptr<EtcdProcess> Start(std::string* error) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto p = std::unique_ptr<EtcdProcess>(new EtcdProcess());
      if (p->Launch(error) && p->WaitReady(error)) return p;
    }
    return nullptr;
  }

  ~EtcdProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (auto deadline = std::chrono::steady_clock::now() + 5s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(20ms)) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;  // dir_ then goes with its data
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }

  const std::string& endpoint() const { return endpoint_; }

 private:
  EtcdProcess() = default;

  bool Launch(std::string* error) {
    int client_port = 0, peer_port = 0;
    if (!FreePorts(&client_port, &peer_port)) {
      *error = "no free loopback port";
      return false;
    }
    endpoint_ = "127.0.0.1:" + std::to_string(client_port);
    const std::string client_url = "http://" + endpoint_;
    const std::string peer_url = "http://127.0.0.1:" + std::to_string(peer_port);
    const std::string data = (dir_.path() / "data").string();
    log_ = (dir_.path() / "etcd.log").string();
    // clang-format off
    std::vector<std::string> args = {kEtcdBinary,
        "--name", "default",
        "--data-dir", data,
        "--listen-client-urls", client_url,
        "--advertise-client-urls", client_url,
        "--listen-peer-urls", peer_url,
        "--initial-advertise-peer-urls", peer_url,
        "--initial-cluster", "default=" + peer_url};
    // clang-format on
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    // Everything the child needs is prepared above: after fork it only makes system calls.
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) {
      *error = "fork failed";
      return false;
    }
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);  // the parent died before prctl took hold
      int out = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int in = open("/dev/null", O_RDONLY);
      if (out >= 0) {
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
      }
      if (in >= 0) dup2(in, STDIN_FILENO);
      execv(kEtcdBinary, argv.data());
      _exit(127);
    }
    return true;
  }

  bool WaitReady(std::string* error) {
    std::string host, port;
    net::SplitHostPort(endpoint_, &host, &port);
    for (auto deadline = std::chrono::steady_clock::now() + 20s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(50ms)) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        *error = "etcd exited during start-up (see its log " + log_ + ")";
        return false;
      }
      net::HttpClient client(host, port, {200ms, 1000ms, 1 << 16});
      auto health = client.Send(net::HttpRequest{"GET", "/health", {}, ""});
      if (health.ok() && health->status == 200 && health->body.find("true") != std::string::npos) {
        return true;
      }
    }
    *error = "etcd did not become healthy within 20 s";
    return false;
  }

  TempDir dir_;  // first member: removed only after the process is gone
  pid_t pid_ = -1;
  std::string endpoint_;
  std::string log_;
};

}  // namespace

bool EtcdInstalled() { return access(kEtcdBinary, X_OK) == 0; }

std::string SharedEtcdEndpoint(std::string* error) {
  static Mutex mu;
  static std::unique_ptr<EtcdProcess> process;  // stopped by static destruction at exit
  static std::string failure;
  MutexLock lock(mu);
  if (!process && failure.empty()) {
    process = EtcdProcess::Start(&failure);
    if (!process && failure.empty()) failure = "etcd did not start";
  }
  if (!process) {
    *error = failure;
    return "";
  }
  return process->endpoint();
}

std::string UniqueEtcdPrefix() {
  static std::atomic<int> next{0};
  return "/test-" + std::to_string(++next) + "/";
}

}  // namespace wharf::testing

namespace wharf::store {
namespace {

class EtcdBackend final : public TestBackend {
 public:
  EtcdBackend(std::string endpoint, std::string prefix)
      : endpoint_(std::move(endpoint)), prefix_(std::move(prefix)) {}
  ~EtcdBackend() override {
    // The etcd outlives this test: leave it as found.
    if (store_) store_->Wipe();
  }

  Status Open() {
    auto opened = OpenEtcdStore(endpoint_, prefix_);
    if (!opened.ok()) return opened.status();
    store_ = std::move(opened).value();
    return Status::OK();
  }

  Store& store() override { return *store_; }
  bool CanReopen() const override { return true; }
  Status Reopen() override {
    store_.reset();
    return Open();
  }

 private:
  const std::string endpoint_;
  const std::string prefix_;
  std::unique_ptr<Store> store_;
};

}  // namespace

std::unique_ptr<TestBackend> MakeEtcdTestBackend() {
  if (!testing::EtcdInstalled()) return nullptr;
  std::string error;
  std::string endpoint = testing::SharedEtcdEndpoint(&error);
  if (endpoint.empty()) {
    ADD_FAILURE() << "etcd is installed but would not start: " << error;
    return nullptr;
  }
  auto backend = std::make_unique<EtcdBackend>(endpoint, testing::UniqueEtcdPrefix());
  if (Status s = backend->Open(); !s.ok()) {
    ADD_FAILURE() << "cannot open the etcd store: " << s.ToString();
    return nullptr;
  }
  return backend;
}

}  // namespace wharf::store
