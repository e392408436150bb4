#include "agent/runtime/seccomp.h"

#include <sys/utsname.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <sstream>

namespace wharf::agent {
namespace {

namespace json = boost::json;

bool Contains(const json::value* list, std::string_view s) {
  if (list == nullptr || !list->is_array()) return false;
  for (const auto& v : list->as_array()) {
    if (v.is_string() && v.as_string() == s) return true;
  }
  return false;
}

bool NonEmptyList(const json::value* list) {
  return list != nullptr && list->is_array() && !list->as_array().empty();
}

bool InStrings(const std::vector<std::string>& set, std::string_view s) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

// Go architecture -> libseccomp's name, as moby's profiles/seccomp does.
std::string SeccompArch(const std::string& go_arch) {
  if (go_arch == "amd64") return "SCMP_ARCH_X86_64";
  if (go_arch == "386") return "SCMP_ARCH_X86";
  if (go_arch == "arm64") return "SCMP_ARCH_AARCH64";
  if (go_arch == "arm") return "SCMP_ARCH_ARM";
  if (go_arch == "ppc64le") return "SCMP_ARCH_PPC64LE";
  if (go_arch == "s390x") return "SCMP_ARCH_S390X";
  if (go_arch == "riscv64") return "SCMP_ARCH_RISCV64";
  return "";
}

// "5.4" >= "4.8"; an unparsable or empty side counts as satisfied.
bool KernelAtLeast(const std::string& have, const std::string& want) {
  int hm = 0, hn = 0, wm = 0, wn = 0;
  if (have.empty() || std::sscanf(have.c_str(), "%d.%d", &hm, &hn) < 1) return true;
  if (std::sscanf(want.c_str(), "%d.%d", &wm, &wn) < 1) return true;
  return hm != wm ? hm > wm : hn >= wn;
}

const json::value* Field(const json::object& o, std::string_view key) { return o.if_contains(key); }

}  // namespace

Result<json::object> LoadSeccompProfile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::FailedPrecondition("cannot read seccomp profile " + path +
                                      " (install golang-github-containers-common)");
  }
  std::stringstream buf;
  buf << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(buf.str(), ec);
  if (ec || !v.is_object()) return Status::InvalidArgument("seccomp profile " + path + " is not a JSON object");
  return std::move(v.as_object());
}

Result<std::shared_ptr<const json::object>> DefaultSeccompProfile() {
  static std::once_flag once;
  static Result<std::shared_ptr<const json::object>>* cached = nullptr;
  std::call_once(once, [] {
    auto loaded = LoadSeccompProfile(kDefaultSeccompProfilePath);
    if (loaded.ok()) {
      cached = new Result<std::shared_ptr<const json::object>>(
          std::make_shared<const json::object>(std::move(loaded).value()));
    } else {
      cached = new Result<std::shared_ptr<const json::object>>(loaded.status());
    }
  });
  return *cached;
}

Result<json::object> TranslateSeccompProfile(const json::object& profile,
                                             const std::vector<std::string>& bounding_caps,
                                             const std::string& go_arch, const std::string& kernel) {
  json::object out;
  const json::value* default_action = Field(profile, "defaultAction");
  if (default_action == nullptr || !default_action->is_string()) {
    return Status::InvalidArgument("seccomp profile has no defaultAction");
  }
  out["defaultAction"] = *default_action;
  if (const auto* v = Field(profile, "defaultErrnoRet"); v && v->is_int64()) out["defaultErrnoRet"] = *v;
  if (const auto* v = Field(profile, "flags"); NonEmptyList(v)) out["flags"] = *v;

  json::array arches;
  const std::string native = SeccompArch(go_arch);
  if (const auto* map = Field(profile, "archMap"); map && map->is_array()) {
    for (const auto& entry : map->as_array()) {
      if (!entry.is_object()) continue;
      const auto& e = entry.as_object();
      const auto* arch = e.if_contains("architecture");
      if (arch == nullptr || !arch->is_string() || arch->as_string() != native) continue;
      arches.push_back(*arch);
      if (const auto* subs = e.if_contains("subArchitectures"); subs && subs->is_array()) {
        for (const auto& s : subs->as_array()) arches.push_back(s);
      }
    }
  }
  out["architectures"] = std::move(arches);

  json::array syscalls;
  if (const auto* rules = Field(profile, "syscalls"); rules && rules->is_array()) {
    for (const auto& rule_value : rules->as_array()) {
      if (!rule_value.is_object()) continue;
      const auto& rule = rule_value.as_object();
      static const json::object kEmpty;
      const auto* inc_v = rule.if_contains("includes");
      const auto* exc_v = rule.if_contains("excludes");
      const json::object& inc = inc_v && inc_v->is_object() ? inc_v->as_object() : kEmpty;
      const json::object& exc = exc_v && exc_v->is_object() ? exc_v->as_object() : kEmpty;

      if (NonEmptyList(exc.if_contains("arches")) && Contains(exc.if_contains("arches"), go_arch)) continue;
      if (NonEmptyList(inc.if_contains("arches")) && !Contains(inc.if_contains("arches"), go_arch)) continue;
      bool skip = false;
      if (const auto* caps = exc.if_contains("caps"); NonEmptyList(caps)) {
        for (const auto& c : caps->as_array()) {
          if (c.is_string() && InStrings(bounding_caps, c.as_string())) skip = true;
        }
      }
      if (const auto* caps = inc.if_contains("caps"); NonEmptyList(caps)) {
        for (const auto& c : caps->as_array()) {
          if (!c.is_string() || !InStrings(bounding_caps, c.as_string())) skip = true;
        }
      }
      if (const auto* mk = inc.if_contains("minKernel"); mk && mk->is_string()) {
        if (!KernelAtLeast(kernel, std::string(mk->as_string()))) skip = true;
      }
      if (skip) continue;

      json::object call;
      json::array names;
      if (const auto* n = rule.if_contains("names"); n && n->is_array()) names = n->as_array();
      if (const auto* n = rule.if_contains("name"); n && n->is_string()) names.push_back(*n);
      if (names.empty()) continue;
      call["names"] = std::move(names);
      const auto* action = rule.if_contains("action");
      if (action == nullptr || !action->is_string()) {
        return Status::InvalidArgument("seccomp rule without an action");
      }
      call["action"] = *action;
      if (const auto* a = rule.if_contains("args"); NonEmptyList(a)) call["args"] = *a;
      if (const auto* e = rule.if_contains("errnoRet"); e && e->is_int64()) call["errnoRet"] = *e;
      syscalls.push_back(std::move(call));
    }
  }
  out["syscalls"] = std::move(syscalls);
  return out;
}

std::string HostGoArch() {
  struct utsname u {};
  if (uname(&u) != 0) return "";
  std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m == "i686" || m == "i386") return "386";
  if (m.rfind("arm", 0) == 0) return "arm";
  return m;  // ppc64le, s390x, riscv64 share their names
}

std::string HostKernelVersion() {
  struct utsname u {};
  if (uname(&u) != 0) return "";
  int major = 0, minor = 0;
  if (std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return "";
  return std::to_string(major) + "." + std::to_string(minor);
}

}  // namespace wharf::agent
