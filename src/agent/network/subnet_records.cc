#include "agent/network/subnet_records.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>

#include "base/file_contents.h"
#include "base/logging.h"

namespace wharf::agent {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// A record's fields, named once for writing and reading.
struct Field {
  const char* name;
  std::string Subnet::*member;
};
constexpr Field kFields[] = {
    {"id", &Subnet::id}, {"cidr", &Subnet::cidr}, {"bridge", &Subnet::bridge}, {"vpcId", &Subnet::vpc_id}};

std::string PathOf(const std::string& dir, const std::string& subnet_id) { return dir + "/" + subnet_id + ".json"; }

bool Sync(const std::string& path, int flags) {
  int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

}  // namespace

Status RecordSubnet(const std::string& dir, const Subnet& subnet) {
  json::object o;
  for (const Field& f : kFields) o[f.name] = subnet.*f.member;
  const std::string data = json::serialize(o);
  const std::string path = PathOf(dir, subnet.id), tmp = path + ".tmp";
  if (ReadFileContents(path) == data) return Status::OK();  // written (and synced) before
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Internal("creating " + dir + ": " + ec.message());
  // Synced, file and directory, before anything of the subnet is made: the record is what
  // takes the host state down after a power loss too (subnet_records.h).
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("cannot write " + tmp);
  bool ok = write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0 || !Sync(dir, O_RDONLY | O_DIRECTORY)) {
    unlink(tmp.c_str());
    return Status::Internal("cannot write " + path);
  }
  return Status::OK();
}

std::vector<Subnet> RecordedSubnets(const std::string& dir) {
  std::vector<Subnet> subnets;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    std::optional<std::string> text = ReadFileContents(entry.path().string());
    boost::system::error_code parse_ec;
    json::value v = text ? json::parse(*text, parse_ec) : json::value();
    const json::object* o = parse_ec ? nullptr : v.if_object();
    Subnet s;
    for (const Field& f : kFields) {
      const json::value* field = o ? o->if_contains(f.name) : nullptr;
      if (field && field->is_string()) s.*f.member = std::string(field->as_string());
    }
    if (s.id.empty() || s.cidr.empty() || s.bridge.empty()) {
      LOG_WARN("msg=\"subnet record unreadable: its bridge stays\" path={}", entry.path().string());
      continue;
    }
    subnets.push_back(std::move(s));
  }
  return subnets;
}

void ForgetSubnet(const std::string& dir, const std::string& subnet_id) {
  // Not synced: a record that outlives a power loss only makes a later agent try a removal
  // that finds nothing, or a subnet in use, and keeps it.
  std::error_code ec;
  fs::remove(PathOf(dir, subnet_id), ec);
}

}  // namespace wharf::agent
