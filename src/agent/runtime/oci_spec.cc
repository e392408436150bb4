#include "agent/runtime/oci_spec.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>

#include "agent/runtime/seccomp.h"
#include "model/json.h"

namespace wharf::agent {
namespace {

namespace json = boost::json;

constexpr int64_t kMiB = 1024 * 1024;
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr const char* kInitPath = "/sbin/docker-init";

// Every capability runc 1.1 knows, in kernel number order (CAP_CHOWN = 0 .. CAP_CHECKPOINT_RESTORE).
constexpr std::array<const char*, 41> kAllCapabilities = {
    "CHOWN",          "DAC_OVERRIDE",  "DAC_READ_SEARCH", "FOWNER",       "FSETID",
    "KILL",           "SETGID",        "SETUID",          "SETPCAP",      "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN",     "NET_RAW",      "IPC_LOCK",
    "IPC_OWNER",      "SYS_MODULE",    "SYS_RAWIO",       "SYS_CHROOT",   "SYS_PTRACE",
    "SYS_PACCT",      "SYS_ADMIN",     "SYS_BOOT",        "SYS_NICE",     "SYS_RESOURCE",
    "SYS_TIME",       "SYS_TTY_CONFIG", "MKNOD",          "LEASE",        "AUDIT_WRITE",
    "AUDIT_CONTROL",  "SETFCAP",       "MAC_OVERRIDE",    "MAC_ADMIN",    "SYSLOG",
    "WAKE_ALARM",     "BLOCK_SUSPEND", "AUDIT_READ",      "PERFMON",      "BPF",
    "CHECKPOINT_RESTORE"};

// ECS ulimit names (the ContainerDefinition Ulimit enum) -> OCI rlimit types.
const std::map<std::string, std::string>& UlimitTypes() {
  static const std::map<std::string, std::string> m = {
      {"core", "RLIMIT_CORE"},       {"cpu", "RLIMIT_CPU"},           {"data", "RLIMIT_DATA"},
      {"fsize", "RLIMIT_FSIZE"},     {"locks", "RLIMIT_LOCKS"},       {"memlock", "RLIMIT_MEMLOCK"},
      {"msgqueue", "RLIMIT_MSGQUEUE"}, {"nice", "RLIMIT_NICE"},       {"nofile", "RLIMIT_NOFILE"},
      {"nproc", "RLIMIT_NPROC"},     {"rss", "RLIMIT_RSS"},           {"rtprio", "RLIMIT_RTPRIO"},
      {"rttime", "RLIMIT_RTTIME"},   {"sigpending", "RLIMIT_SIGPENDING"}, {"stack", "RLIMIT_STACK"}};
  return m;
}

const json::value* Get(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

std::vector<std::string> Strings(const json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& s : v->as_array()) {
    if (s.is_string()) out.emplace_back(s.as_string());
  }
  return out;
}

json::array ToArray(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// Replaces the entry with the same key or appends, keeping first-seen order (Docker's
// ReplaceOrAppendEnvValues).
void SetEnv(std::vector<std::string>& env, const std::string& kv) {
  const std::string key = kv.substr(0, kv.find('='));
  for (auto& e : env) {
    if (e.substr(0, e.find('=')) == key) {
      e = kv;
      return;
    }
  }
  env.push_back(kv);
}

bool HasEnv(const std::vector<std::string>& env, const std::string& key) {
  return std::any_of(env.begin(), env.end(),
                     [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
}

std::vector<std::string> BuildEnv(const ContainerSpecInput& in, const ExecUser& user) {
  std::vector<std::string> env;
  for (const auto& e : Strings(Get(in.image_config, "Env"))) SetEnv(env, e);
  for (const auto& kv : GetArray(in.definition, "environment")) {
    if (!kv.is_object()) continue;
    const std::string name = GetString(kv.as_object(), "name");
    if (!name.empty()) SetEnv(env, name + "=" + GetString(kv.as_object(), "value"));
  }
  for (const auto& e : in.extra_env) SetEnv(env, e);
  // Docker puts PATH and HOSTNAME first, under what the image and the user set.
  std::vector<std::string> out;
  if (!HasEnv(env, "PATH")) out.push_back(std::string("PATH=") + kDefaultPath);
  if (!in.hostname.empty()) out.push_back("HOSTNAME=" + in.hostname);
  for (const auto& e : env) SetEnv(out, e);
  if (!HasEnv(out, "HOME")) out.push_back("HOME=" + user.home);
  return out;
}

std::string NormalizeCapability(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), ::toupper);
  if (name.rfind("CAP_", 0) == 0) name = name.substr(4);
  return name;
}

json::object BindMount(const std::string& source, const std::string& destination, bool ro) {
  json::array options = {"rbind", "rprivate"};
  if (ro) options.emplace_back("ro");
  return {{"destination", destination}, {"type", "bind"}, {"source", source}, {"options", options}};
}

json::array DefaultMounts(bool privileged, int64_t shm_bytes) {
  const std::string ro_or_rw = privileged ? "rw" : "ro";
  return {
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"}, {"type", "devpts"}, {"source", "devpts"},
       {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
      {{"destination", "/sys"}, {"type", "sysfs"}, {"source", "sysfs"},
       {"options", {"nosuid", "noexec", "nodev", ro_or_rw}}},
      {{"destination", "/sys/fs/cgroup"}, {"type", "cgroup"}, {"source", "cgroup"},
       {"options", {"nosuid", "noexec", "nodev", "relatime", ro_or_rw}}},
      {{"destination", "/dev/mqueue"}, {"type", "mqueue"}, {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/dev/shm"}, {"type", "tmpfs"}, {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777",
                    "size=" + std::to_string(shm_bytes)}}},
  };
}

// The devices cgroup rules runc and Docker allow by default (runc appends the same list).
json::array DefaultDeviceRules() {
  auto rule = [](const char* type, int64_t major, int64_t minor, const char* access) {
    json::object r{{"allow", true}, {"type", type}, {"access", access}};
    if (major >= 0) r["major"] = major;
    if (minor >= 0) r["minor"] = minor;
    return r;
  };
  return {
      {{"allow", false}, {"access", "rwm"}},
      rule("c", -1, -1, "m"),      rule("b", -1, -1, "m"),    rule("c", 1, 3, "rwm"),
      rule("c", 1, 8, "rwm"),      rule("c", 1, 7, "rwm"),    rule("c", 5, 0, "rwm"),
      rule("c", 1, 5, "rwm"),      rule("c", 1, 9, "rwm"),    rule("c", 5, 1, "rwm"),
      rule("c", 136, -1, "rwm"),   rule("c", 5, 2, "rwm"),    rule("c", 10, 200, "rwm"),
  };
}

// Privileged containers see the host's device nodes, as Docker's HostDevices gives them.
json::array HostDevices() {
  namespace fs = std::filesystem;
  json::array out;
  std::error_code ec;
  fs::recursive_directory_iterator it("/dev", fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string name = p.filename();
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      if (name == "pts" || name == "shm" || name == "fd" || name == "mqueue" || name == ".lxc" ||
          name == ".lxd-mounts" || name == ".udev") {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (p == "/dev/console") continue;
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0) continue;
    const char* type = S_ISCHR(st.st_mode) ? "c" : S_ISBLK(st.st_mode) ? "b" : nullptr;
    if (type == nullptr) continue;
    out.push_back({{"path", p.string()}, {"type", type},
                   {"major", static_cast<int64_t>(major(st.st_rdev))},
                   {"minor", static_cast<int64_t>(minor(st.st_rdev))},
                   {"fileMode", static_cast<int64_t>(st.st_mode & 07777)},
                   {"uid", static_cast<int64_t>(st.st_uid)},
                   {"gid", static_cast<int64_t>(st.st_gid)}});
  }
  return out;
}

Result<json::array> Rlimits(const json::object& def) {
  json::array out;
  bool has_nofile = false;
  for (const auto& u : GetArray(def, "ulimits")) {
    if (!u.is_object()) continue;
    const std::string name = GetString(u.as_object(), "name");
    auto type = UlimitTypes().find(name);
    if (type == UlimitTypes().end()) return Status::InvalidArgument("unknown ulimit name " + name);
    auto soft = GetInt(u.as_object(), "softLimit"), hard = GetInt(u.as_object(), "hardLimit");
    if (!soft || !hard || *soft > *hard) {
      return Status::InvalidArgument("ulimit " + name + " needs softLimit <= hardLimit");
    }
    has_nofile |= name == "nofile";
    out.push_back({{"type", type->second}, {"soft", *soft}, {"hard", *hard}});
  }
  // Fargate's documented default, so a container does not inherit the agent's own soft limit;
  // capped at our hard limit, which runc cannot raise without CAP_SYS_RESOURCE.
  if (!has_nofile) {
    int64_t nofile = 65535;
    struct rlimit own {};
    if (getrlimit(RLIMIT_NOFILE, &own) == 0 && own.rlim_max != RLIM_INFINITY) {
      nofile = std::min<int64_t>(nofile, static_cast<int64_t>(own.rlim_max));
    }
    out.push_back({{"type", "RLIMIT_NOFILE"}, {"soft", nofile}, {"hard", nofile}});
  }
  return out;
}

Result<json::object> Resources(const json::object& def, bool privileged) {
  json::object res;
  res["devices"] = privileged ? json::array{{{"allow", true}, {"access", "rwm"}}}
                              : DefaultDeviceRules();
  // ECS cpu units are Docker CpuShares; Docker's minimum is 2.
  res["cpu"] = {{"shares", std::max<int64_t>(GetInt(def, "cpu").value_or(0), 2)}};

  json::object memory;
  const auto limit = GetInt(def, "memory");
  const auto reservation = GetInt(def, "memoryReservation");
  if (limit) {
    if (*limit < 6) return Status::InvalidArgument("memory must be at least 6 MiB");
    memory["limit"] = *limit * kMiB;
  }
  if (reservation) {
    if (limit && *reservation > *limit) {
      return Status::InvalidArgument("memoryReservation must not exceed memory");
    }
    memory["reservation"] = *reservation * kMiB;
  }
  const json::object& lp = GetObject(def, "linuxParameters");
  if (auto max_swap = GetInt(lp, "maxSwap")) {
    if (!limit) return Status::InvalidArgument("linuxParameters.maxSwap needs memory");
    memory["swap"] = (*limit + *max_swap) * kMiB;  // OCI swap is memory + swap
    if (auto swappiness = GetInt(lp, "swappiness")) memory["swappiness"] = *swappiness;
  }
  if (!memory.empty()) res["memory"] = std::move(memory);
  return res;
}

}  // namespace

const std::vector<std::string>& DefaultCapabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",  "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",     "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",   "CAP_AUDIT_WRITE"};
  return caps;
}

Result<std::vector<std::string>> EffectiveCapabilities(const std::vector<std::string>& add,
                                                       const std::vector<std::string>& drop,
                                                       bool privileged) {
  std::vector<std::string> adds, drops;
  for (const auto& c : add) adds.push_back(NormalizeCapability(c));
  for (const auto& c : drop) drops.push_back(NormalizeCapability(c));
  auto known = [](const std::string& c) {
    return c == "ALL" || std::find_if(kAllCapabilities.begin(), kAllCapabilities.end(),
                                      [&](const char* k) { return c == k; }) != kAllCapabilities.end();
  };
  for (const auto* list : {&adds, &drops}) {
    for (const auto& c : *list) {
      if (!known(c)) return Status::InvalidArgument("unknown capability CAP_" + c);
    }
  }
  auto in = [](const std::vector<std::string>& v, const std::string& c) {
    return std::find(v.begin(), v.end(), c) != v.end();
  };
  std::vector<std::string> set;  // without the prefix
  if (privileged || in(adds, "ALL")) {
    for (const char* c : kAllCapabilities) {
      if (privileged || !in(drops, c)) set.emplace_back(c);
    }
  } else if (in(drops, "ALL")) {
    set = adds;
  } else {
    for (const auto& c : DefaultCapabilities()) {
      if (!in(drops, c.substr(4))) set.push_back(c.substr(4));
    }
    set.insert(set.end(), adds.begin(), adds.end());
  }
  std::vector<std::string> out;
  for (const char* c : kAllCapabilities) {  // dedupe, kernel order
    if (in(set, c)) out.push_back(std::string("CAP_") + c);
  }
  return out;
}

std::vector<std::string> ProcessArgs(const json::value* entry_point, const json::value* command,
                                     const json::object& image_config) {
  if (entry_point != nullptr && entry_point->is_null()) entry_point = nullptr;
  if (command != nullptr && command->is_null()) command = nullptr;
  std::vector<std::string> ep = Strings(entry_point), cmd = Strings(command);
  // Docker's merge: an entrypoint given by the user drops the image's Cmd; otherwise an empty
  // Cmd falls back to the image's, and an unset (not empty) entrypoint to the image's.
  if (ep.empty()) {
    if (cmd.empty()) cmd = Strings(Get(image_config, "Cmd"));
    if (entry_point == nullptr) ep = Strings(Get(image_config, "Entrypoint"));
  }
  ep.insert(ep.end(), cmd.begin(), cmd.end());
  return ep;
}

Result<json::object> BuildOciSpec(const ContainerSpecInput& in) {
  const json::object& def = in.definition;
  const json::object& lp = GetObject(def, "linuxParameters");
  const bool privileged = in.privileged || GetBool(def, "privileged").value_or(false);
  if (in.rootfs.empty() || in.rootfs[0] != '/') {
    return Status::InvalidArgument("rootfs must be an absolute path: " + in.rootfs);
  }
  if (!GetArray(lp, "devices").empty()) {
    return Status::InvalidArgument("linuxParameters.devices is not supported");
  }

  std::string user_spec = GetString(def, "user");
  if (user_spec.empty()) user_spec = GetString(in.image_config, "User");
  ASSIGN_OR_RETURN(ExecUser user, ResolveUser(in.rootfs, user_spec));

  std::vector<std::string> args =
      ProcessArgs(Get(def, "entryPoint"), Get(def, "command"), in.image_config);
  if (args.empty()) return Status::InvalidArgument("no command specified");
  const bool init = GetBool(lp, "initProcessEnabled").value_or(false);
  if (init) {
    struct stat st {};
    if (stat(in.init_binary.c_str(), &st) != 0) {
      return Status::FailedPrecondition("initProcessEnabled needs " + in.init_binary +
                                        " (install the tini package)");
    }
    args.insert(args.begin(), {kInitPath, "--"});
  }

  std::string cwd = GetString(def, "workingDirectory");
  if (cwd.empty()) cwd = GetString(in.image_config, "WorkingDir");
  if (cwd.empty()) cwd = "/";
  if (cwd[0] != '/') return Status::InvalidArgument("workingDirectory must be absolute: " + cwd);

  const json::object& caps_cfg = GetObject(lp, "capabilities");
  ASSIGN_OR_RETURN(std::vector<std::string> caps,
                   EffectiveCapabilities(Strings(Get(caps_cfg, "add")),
                                         Strings(Get(caps_cfg, "drop")), privileged));
  json::object capabilities{{"bounding", ToArray(caps)}};
  // As dockerd: a non-root process starts with empty effective/permitted sets, as execve
  // would give it; root gets the whole set. No inheritable or ambient capabilities.
  if (user.uid == 0) {
    capabilities["effective"] = ToArray(caps);
    capabilities["permitted"] = ToArray(caps);
  }

  json::array additional_gids;
  for (uint32_t g : user.additional_gids) additional_gids.emplace_back(g);
  ASSIGN_OR_RETURN(json::array rlimits, Rlimits(def));
  json::object process{
      {"terminal", false},
      {"user", {{"uid", user.uid}, {"gid", user.gid}, {"additionalGids", additional_gids}}},
      {"args", ToArray(args)},
      {"env", ToArray(BuildEnv(in, user))},
      {"cwd", cwd},
      {"capabilities", std::move(capabilities)},
      {"rlimits", std::move(rlimits)},
      {"noNewPrivileges", false},
      {"oomScoreAdj", 0},
  };

  // Mounts: Docker's defaults, then tmpfs and the caller's binds; a later mount at the same
  // destination replaces an earlier one (a volume at /dev/shm replaces the default).
  const int64_t shm_bytes = GetInt(lp, "sharedMemorySize").value_or(64) * kMiB;
  json::array mounts = DefaultMounts(privileged, shm_bytes);
  auto add_mount = [&mounts](json::object m) {
    const json::value dest = m["destination"];
    mounts.erase(std::remove_if(mounts.begin(), mounts.end(),
                                [&](const json::value& x) {
                                  return x.as_object().at("destination") == dest;
                                }),
                 mounts.end());
    mounts.push_back(std::move(m));
  };
  for (const auto& t : GetArray(lp, "tmpfs")) {
    if (!t.is_object()) continue;
    const std::string path = GetString(t.as_object(), "containerPath");
    auto size = GetInt(t.as_object(), "size");
    if (path.empty() || !size) return Status::InvalidArgument("tmpfs needs containerPath and size");
    std::vector<std::string> opts = Strings(Get(t.as_object(), "mountOptions"));
    if (opts.empty()) opts = {"nosuid", "nodev", "noexec"};
    opts.push_back("size=" + std::to_string(*size) + "m");
    add_mount({{"destination", path}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", ToArray(opts)}});
  }
  for (const auto& m : in.mounts) add_mount(BindMount(m.source, m.destination, m.read_only));
  if (init) add_mount(BindMount(in.init_binary, kInitPath, true));

  json::array namespaces = {{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}},
                            {{"type", "mount"}}};
  if (!in.netns_path.empty()) namespaces.push_back({{"type", "network"}, {"path", in.netns_path}});

  ASSIGN_OR_RETURN(json::object resources, Resources(def, privileged));
  json::object linux_cfg{{"namespaces", std::move(namespaces)}, {"resources", std::move(resources)}};
  if (!in.cgroups_path.empty()) linux_cfg["cgroupsPath"] = in.cgroups_path;
  json::object sysctl;
  for (const auto& s : GetArray(def, "systemControls")) {
    if (!s.is_object()) continue;
    const std::string ns = GetString(s.as_object(), "namespace");
    if (!ns.empty()) sysctl[ns] = GetString(s.as_object(), "value");
  }
  if (!sysctl.empty()) linux_cfg["sysctl"] = std::move(sysctl);

  if (privileged) {
    linux_cfg["devices"] = HostDevices();
  } else {
    linux_cfg["maskedPaths"] = {"/proc/asound",      "/proc/acpi",        "/proc/kcore",
                            "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                            "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                            "/sys/firmware",     "/sys/devices/virtual/powercap"};
    linux_cfg["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                              "/proc/sysrq-trigger"};
    std::shared_ptr<const json::object> profile = in.seccomp_profile;
    if (profile == nullptr) {
      ASSIGN_OR_RETURN(profile, DefaultSeccompProfile());
    }
    ASSIGN_OR_RETURN(json::object seccomp,
                     TranslateSeccompProfile(*profile, caps, HostGoArch(), HostKernelVersion()));
    linux_cfg["seccomp"] = std::move(seccomp);
  }

  json::object spec{
      {"ociVersion", "1.0.2-dev"},
      {"process", std::move(process)},
      {"root", {{"path", in.rootfs}, {"readonly", GetBool(def, "readonlyRootFilesystem").value_or(false)}}},
      {"mounts", std::move(mounts)},
      {"linux", std::move(linux_cfg)},
  };
  if (!in.hostname.empty()) spec["hostname"] = in.hostname;
  return spec;
}

}  // namespace wharf::agent
