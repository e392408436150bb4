// Fakes of what a TaskRunner uses of its node (agent/node.h), for tests on simulated time:
// a clock that moves when told, a container runtime whose containers exit when the test says
// and record every call, images that pull or fail as told, a network and root filesystems
// that make nothing, and a server that keeps the reports it is sent.
//
// Thread-safety: every fake may be used from the runner's threads and the test's at once.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <csignal>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/image/image_store.h"
#include "agent/network/network.h"
#include "agent/runtime/container_runtime.h"
#include "agent/snapshot/overlay.h"
#include "agent/task_reports.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "model/json.h"

namespace wharf::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point t) : now_(t) {}
  std::chrono::system_clock::time_point Now() const override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return now_;
  }
  void Advance(std::chrono::system_clock::duration d) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    now_ += d;
  }

 private:
  mutable Mutex mu_;
  std::chrono::system_clock::time_point now_ GUARDED_BY(mu_);
};

// Containers are named by their runtime id, "<task id>-<container name>"; the test speaks of
// them by container name. Calls are recorded as "create web", "start web", "kill web TERM",
// "kill web KILL", "delete web".
class FakeRuntime final : public agent::ContainerRuntime {
 public:
  // How a container behaves, set before the runner creates it.
  void IgnoreSigterm(const std::string& name) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    ignores_sigterm_.insert(name);
  }
  // Its creation fails with `error` (as runc create failing).
  void FailCreate(const std::string& name, Status error) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    create_failures_.emplace(name, std::move(error));
  }
  // The exit code its health check probes get from now on (0 when never set).
  void SetProbeExit(const std::string& name, int code) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    probe_exit_[name] = code;
  }
  // The container's process ends with `code`, as if on its own.
  void Exit(const std::string& name, int code) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    for (auto& [id, c] : containers_) {
      if (NameOf(id) == name && c.status == "running") Stop(c, code);
    }
  }

  std::vector<std::string> Calls() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return calls_;
  }
  // The containers started, in order.
  std::vector<std::string> Started() const EXCLUDES(mu_) { return CallsOf("start "); }
  // "name TERM" / "name KILL", in order.
  std::vector<std::string> Kills() const EXCLUDES(mu_) { return CallsOf("kill "); }
  int Probes(const std::string& name) const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    auto it = probes_.find(name);
    return it == probes_.end() ? 0 : it->second;
  }

  Status Create(const std::string& id, const std::string& bundle_dir, const std::string& log_path) override
      EXCLUDES(mu_) {
    MutexLock lock(mu_);
    if (containers_.count(id)) return Status::AlreadyExists(id);
    if (!std::filesystem::exists(bundle_dir + "/config.json")) return Status::FailedPrecondition("no config.json");
    if (auto it = create_failures_.find(NameOf(id)); it != create_failures_.end()) return it->second;
    containers_[id].status = "created";
    calls_.push_back("create " + NameOf(id));
    return Status::OK();
  }
  Status Start(const std::string& id) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    auto it = containers_.find(id);
    if (it == containers_.end() || it->second.status != "created") return Status::FailedPrecondition(id);
    it->second.status = "running";
    it->second.pid = ++next_pid_;
    calls_.push_back("start " + NameOf(id));
    return Status::OK();
  }
  Result<agent::ContainerState> State(const std::string& id) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return Status::NotFound(id);
    return it->second;
  }
  Status Kill(const std::string& id, int signal) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    auto it = containers_.find(id);
    if (it == containers_.end() || it->second.status != "running") return Status::FailedPrecondition(id);
    std::string name = NameOf(id);
    calls_.push_back("kill " + name + (signal == SIGKILL ? " KILL" : signal == SIGTERM ? " TERM" : " other"));
    if (signal == SIGKILL) Stop(it->second, 128 + SIGKILL);
    if (signal == SIGTERM && !ignores_sigterm_.count(name)) Stop(it->second, 128 + SIGTERM);
    return Status::OK();
  }
  Status Delete(const std::string& id) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    if (containers_.erase(id)) calls_.push_back("delete " + NameOf(id));
    return Status::OK();
  }
  Result<std::vector<std::string>> List() override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    std::vector<std::string> ids;
    for (const auto& [id, _] : containers_) ids.push_back(id);
    return ids;
  }
  Result<int> Exec(const std::string& id, const std::vector<std::string>& argv,
                   std::chrono::milliseconds timeout) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    std::string name = NameOf(id);
    ++probes_[name];
    auto it = probe_exit_.find(name);
    return it == probe_exit_.end() ? 0 : it->second;
  }

 private:
  static std::string NameOf(const std::string& id) { return id.substr(id.find('-') + 1); }
  static void Stop(agent::ContainerState& c, int code) {
    c.status = "stopped";
    c.pid = 0;
    c.exit_code = code;
  }
  std::vector<std::string> CallsOf(const std::string& prefix) const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    std::vector<std::string> out;
    for (const auto& call : calls_) {
      if (call.rfind(prefix, 0) == 0) out.push_back(call.substr(prefix.size()));
    }
    return out;
  }

  mutable Mutex mu_;
  std::map<std::string, agent::ContainerState> containers_ GUARDED_BY(mu_);  // by runtime id
  std::set<std::string> ignores_sigterm_ GUARDED_BY(mu_);
  std::map<std::string, Status> create_failures_ GUARDED_BY(mu_);
  std::map<std::string, int> probe_exit_ GUARDED_BY(mu_);
  std::map<std::string, int> probes_ GUARDED_BY(mu_);
  std::vector<std::string> calls_ GUARDED_BY(mu_);
  int next_pid_ GUARDED_BY(mu_) = 1000;
};

// Every reference pulls an image of no layers (its command: sleep) whose digest is derived from it, unless told to fail.
class FakeImages final : public agent::ImageSource {
 public:
  void FailPull(const std::string& reference, Status error) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    failures_.emplace(reference, std::move(error));
  }
  std::vector<std::string> Pulled() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return pulled_;
  }

  Result<agent::Image> Pull(const std::string& reference, const agent::PullOptions& options) override
      EXCLUDES(mu_) {
    MutexLock lock(mu_);
    pulled_.push_back(reference);
    if (auto it = failures_.find(reference); it != failures_.end()) return it->second;
    agent::Image image{"sha256:" + std::to_string(std::hash<std::string>()(reference)),
                       boost::json::object{{"Cmd", boost::json::array{"sleep", "infinity"}}}, {}};
    images_[image.manifest_digest] = image;
    return image;
  }
  Result<agent::Image> Get(const std::string& manifest_digest) const override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    auto it = images_.find(manifest_digest);
    if (it == images_.end()) return Status::NotFound(manifest_digest);
    return it->second;
  }

 private:
  mutable Mutex mu_;
  std::map<std::string, Status> failures_ GUARDED_BY(mu_);
  std::map<std::string, agent::Image> images_ GUARDED_BY(mu_);
  std::vector<std::string> pulled_ GUARDED_BY(mu_);
};

// Attachments are only recorded; every one gets loopback as its gateway, so the runner's
// metadata endpoint listens where a test may bind.
class FakeNetwork final : public agent::NetworkAttacher {
 public:
  struct Attached {
    std::string id;
    agent::Subnet subnet;
    std::vector<agent::PortMapping> ports;
    std::string requested_ip;
  };
  std::vector<Attached> Attachments() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return attached_;
  }
  std::vector<std::string> Detached() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return detached_;
  }
  // While held, Attach tells its namespace and then waits, as if CNI were still wiring it.
  void HoldWiring(bool held) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    hold_wiring_ = held;
    wired_.SignalAll();
  }
  // While held, Attach waits before it tells its namespace (as Network::Attach does after
  // writing its record and making the namespace), its attachment already recorded.
  void HoldNamespaces(bool held) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    hold_namespaces_ = held;
    wired_.SignalAll();
  }
  // Attach of `id` tells its namespace, then fails with `error` (as CNI ADD failing).
  void FailAttach(const std::string& id, Status error) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    failures_.emplace(id, std::move(error));
  }
  // Attaches that told their namespace and are held.
  int HeldAttaches() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return held_;
  }

  Result<agent::NetworkAttachment> Attach(const std::string& id, const agent::Subnet& subnet,
                                          const std::vector<agent::PortMapping>& ports,
                                          const std::string& requested_ip,
                                          const agent::NamespaceMade& namespace_made) override EXCLUDES(mu_) {
    std::string ip;
    {
      MutexLock lock(mu_);
      attached_.push_back({id, subnet, ports, requested_ip});
      ip = requested_ip.empty() ? "10.214.0." + std::to_string(1 + attached_.size()) : requested_ip;
      while (hold_namespaces_) wired_.Wait(mu_);
    }
    if (namespace_made) namespace_made({"/run/netns/fake-" + id, "127.0.0.1", ip});
    {
      MutexLock lock(mu_);
      ++held_;
      while (hold_wiring_) wired_.Wait(mu_);
      --held_;
      if (auto it = failures_.find(id); it != failures_.end()) return it->second;
    }
    return agent::NetworkAttachment{"/run/netns/fake-" + id, ip, 24, "127.0.0.1", "02:00:00:00:00:01", "eth0"};
  }
  Status Detach(const std::string& id) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    detached_.push_back(id);
    return Status::OK();
  }
  Status RedirectCredentialsEndpoint(const std::string& netns_path, const std::string& address,
                                     uint16_t port) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    redirects_.push_back(netns_path + " -> " + address + ":" + std::to_string(port));
    return Status::OK();
  }
  std::vector<std::string> Redirects() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return redirects_;
  }

 private:
  mutable Mutex mu_;
  std::vector<Attached> attached_ GUARDED_BY(mu_);
  std::vector<std::string> detached_ GUARDED_BY(mu_);
  std::vector<std::string> redirects_ GUARDED_BY(mu_);
  bool hold_wiring_ GUARDED_BY(mu_) = false;
  bool hold_namespaces_ GUARDED_BY(mu_) = false;
  std::map<std::string, Status> failures_ GUARDED_BY(mu_);
  int held_ GUARDED_BY(mu_) = 0;
  CondVar wired_;
};

// Makes the rootfs directory; mounts nothing.
class FakeRootfs final : public agent::RootfsMounter {
 public:
  Result<std::string> Mount(const agent::Image& image, const std::string& container_dir, bool read_only) override
      EXCLUDES(mu_) {
    std::error_code ec;
    std::filesystem::create_directories(container_dir + "/rootfs", ec);
    MutexLock lock(mu_);
    mounted_.insert(container_dir);
    return container_dir + "/rootfs";
  }
  Status Unmount(const std::string& container_dir) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    mounted_.erase(container_dir);
    return Status::OK();
  }
  bool Mounted(const std::string& container_dir) const override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return mounted_.count(container_dir) > 0;
  }
  size_t MountedCount() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return mounted_.size();
  }

 private:
  mutable Mutex mu_;
  std::set<std::string> mounted_ GUARDED_BY(mu_);
};

class FakeReports final : public agent::TaskReports {
 public:
  Status SubmitTaskStateChange(const boost::json::object& change) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    changes_.push_back(change);
    return Status::OK();
  }
  Status SubmitTaskHealth(const boost::json::object& report) override EXCLUDES(mu_) {
    MutexLock lock(mu_);
    health_.push_back(report);
    return Status::OK();
  }

  std::vector<boost::json::object> Changes() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return changes_;
  }
  // The first state change reporting `status`.
  std::optional<boost::json::object> Change(const std::string& status) const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    for (const auto& c : changes_) {
      if (GetString(c, "status") == status) return c;
    }
    return std::nullopt;
  }
  std::vector<boost::json::object> Health() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return health_;
  }

 private:
  mutable Mutex mu_;
  std::vector<boost::json::object> changes_ GUARDED_BY(mu_);
  std::vector<boost::json::object> health_ GUARDED_BY(mu_);
};

}  // namespace wharf::testing
