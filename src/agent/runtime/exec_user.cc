// ResolveUser: runc's GetExecUser over the image's /etc/passwd and /etc/group.
#include <charconv>
#include <fstream>
#include <sstream>

#include "agent/runtime/oci_spec.h"

namespace wharf::agent {
namespace {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0, gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) out.push_back(part);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

std::optional<uint32_t> ParseId(const std::string& s) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Missing files are normal (scratch images); malformed lines are skipped as libc does.
std::vector<PasswdEntry> ReadPasswd(const std::string& path) {
  std::vector<PasswdEntry> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = Split(line, ':');
    if (f.size() < 4) continue;
    auto uid = ParseId(f[2]), gid = ParseId(f[3]);
    if (!uid || !gid) continue;
    out.push_back({f[0], *uid, *gid, f.size() > 5 ? f[5] : ""});
  }
  return out;
}

std::vector<GroupEntry> ReadGroup(const std::string& path) {
  std::vector<GroupEntry> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = Split(line, ':');
    if (f.size() < 3) continue;
    auto gid = ParseId(f[2]);
    if (!gid) continue;
    GroupEntry g{f[0], *gid, {}};
    if (f.size() > 3 && !f[3].empty()) g.members = Split(f[3], ',');
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace

Result<ExecUser> ResolveUser(const std::string& rootfs, const std::string& user_spec) {
  ExecUser user;
  std::string user_arg = user_spec, group_arg;
  if (auto colon = user_spec.find(':'); colon != std::string::npos) {
    user_arg = user_spec.substr(0, colon);
    group_arg = user_spec.substr(colon + 1);
  }
  if (user_arg.empty()) user_arg.assign(1, '0');  // as runc: no user means root, by uid
  const std::optional<uint32_t> uid_arg = ParseId(user_arg);

  std::string matched_name;
  for (const auto& p : ReadPasswd(rootfs + "/etc/passwd")) {
    if (p.name == user_arg || (uid_arg && p.uid == *uid_arg)) {
      user.uid = p.uid;
      user.gid = p.gid;
      if (!p.home.empty()) user.home = p.home;
      matched_name = p.name;
      break;
    }
  }
  if (matched_name.empty()) {
    if (!uid_arg) {
      return Status::InvalidArgument("unable to find user " + user_arg +
                                     ": no matching entries in passwd file");
    }
    user.uid = *uid_arg;
  }

  if (group_arg.empty() && matched_name.empty()) return user;
  const std::optional<uint32_t> gid_arg = ParseId(group_arg);
  const auto groups = ReadGroup(rootfs + "/etc/group");
  if (!group_arg.empty()) {
    for (const auto& g : groups) {
      if (g.name == group_arg || (gid_arg && g.gid == *gid_arg)) {
        user.gid = g.gid;
        return user;
      }
    }
    if (!gid_arg) {
      return Status::InvalidArgument("unable to find group " + group_arg +
                                     ": no matching entries in group file");
    }
    user.gid = *gid_arg;
    return user;
  }
  // No explicit group: the user's supplementary groups are those that list it as a member.
  for (const auto& g : groups) {
    for (const auto& m : g.members) {
      if (m == matched_name) {
        user.additional_gids.push_back(g.gid);
        break;
      }
    }
  }
  return user;
}

}  // namespace wharf::agent
