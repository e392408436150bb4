#include "agent/network/subnet_records.h"

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/logging.h"

namespace wharf::agent {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string PathOf(const std::string& dir, const std::string& subnet_id) { return dir + "/" + subnet_id + ".json"; }

}  // namespace

Status RecordSubnet(const std::string& dir, const Subnet& subnet) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Internal("creating " + dir + ": " + ec.message());
  const std::string path = PathOf(dir, subnet.id), tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json::serialize(json::object{
        {"id", subnet.id}, {"cidr", subnet.cidr}, {"bridge", subnet.bridge}, {"vpcId", subnet.vpc_id}});
    if (!out.flush()) return Status::Internal("cannot write " + tmp);
  }
  fs::rename(tmp, path, ec);
  if (ec) return Status::Internal("cannot write " + path + ": " + ec.message());
  return Status::OK();
}

std::vector<Subnet> RecordedSubnets(const std::string& dir) {
  std::vector<Subnet> subnets;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code parse_ec;
    json::value v = json::parse(text.str(), parse_ec);
    const json::object* o = parse_ec ? nullptr : v.if_object();
    auto field = [o](const char* name) -> std::string {
      const json::value* f = o ? o->if_contains(name) : nullptr;
      return f && f->is_string() ? std::string(f->as_string()) : "";
    };
    Subnet s{field("id"), field("cidr"), field("bridge"), field("vpcId")};
    if (s.id.empty() || s.cidr.empty() || s.bridge.empty()) {
      LOG_WARN("msg=\"subnet record unreadable: its bridge stays\" path={}", entry.path().string());
      continue;
    }
    subnets.push_back(std::move(s));
  }
  return subnets;
}

void ForgetSubnet(const std::string& dir, const std::string& subnet_id) {
  std::error_code ec;
  fs::remove(PathOf(dir, subnet_id), ec);
}

}  // namespace wharf::agent
