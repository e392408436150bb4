#include "agent/task_files.h"

#include "model/ec2_network.h"
#include "model/json.h"

#include <boost/json/array.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace wharf::agent {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

Status Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return out ? Status::OK() : Status::Internal("cannot write " + path);
}

// The task's VPC resolver when it has one (as Fargate's resolv.conf names the VPC's DNS
// server), else the host's resolver, unless it points at a loopback stub the container
// cannot reach.
std::string ResolvConf(const std::vector<std::string>& dns_servers) {
  if (!dns_servers.empty()) {
    std::string out;
    for (const auto& s : dns_servers) out += "nameserver " + s + "\n";
    return out;
  }
  std::ifstream in("/etc/resolv.conf");
  std::stringstream kept;
  std::string line;
  bool any_server = false;
  while (std::getline(in, line)) {
    if (line.rfind("nameserver", 0) == 0) {
      if (line.find(" 127.") != std::string::npos || line.find(" ::1") != std::string::npos) continue;
      any_server = true;
    }
    kept << line << "\n";
  }
  if (!any_server) kept << "nameserver 8.8.8.8\n";
  return kept.str();
}

}  // namespace

json::object WithOverrides(const json::object& def, const json::object& overrides) {
  json::object out = def;
  for (const auto& v : GetArray(overrides, "containerOverrides")) {
    const json::object& o = v.get_object();
    if (GetString(o, "name") != GetString(def, "name")) continue;
    if (o.contains("command")) out["command"] = o.at("command");
    for (const char* field : {"cpu", "memory", "memoryReservation"}) {
      if (o.contains(field)) out[field] = o.at(field);
    }
    if (o.contains("environment")) {
      json::array env = GetArray(out, "environment");
      for (const auto& e : GetArray(o, "environment")) {
        std::string name = GetString(e.get_object(), "name");
        bool replaced = false;
        for (auto& x : env) {
          if (GetString(x.get_object(), "name") == name) {
            x = e;
            replaced = true;
          }
        }
        if (!replaced) env.push_back(e);
      }
      out["environment"] = std::move(env);
    }
  }
  return out;
}

std::string BridgeNameFor(const std::string& subnet_id) { return model::SubnetBridgeName(subnet_id); }

std::string HostnameFor(const json::object& def, const std::string& task_id, const std::string& ip) {
  if (std::string h = GetString(def, "hostname"); !h.empty()) return h;
  if (!ip.empty()) {
    std::string h = "ip-" + ip;
    for (char& c : h) c = c == '.' ? '-' : c;
    return h;
  }
  return task_id.substr(0, 12);
}

std::vector<std::string> TaskEnvironment(const std::string& region, const std::string& launch_type) {
  return {"AWS_REGION=" + region, "AWS_DEFAULT_REGION=" + region,
          std::string("AWS_EXECUTION_ENV=") + (launch_type == "FARGATE" ? "AWS_ECS_FARGATE" : "AWS_ECS_EC2")};
}

Result<std::vector<Mount>> TaskMounts(const ContainerFiles& f, const json::object& td, const json::object& def) {
  std::string etc = f.task_dir + "/containers/" + f.name + "/etc";
  std::error_code ec;
  fs::create_directories(etc, ec);
  if (ec) return Status::Internal("create " + etc + ": " + ec.message());
  std::string hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  if (!f.ip.empty()) hosts += f.ip + "\t" + f.hostname + "\n";
  if (f.network_mode == "bridge") {
    // links: "name:alias" or "name"; the alias resolves to the linked container's address.
    for (const auto& l : GetArray(def, "links")) {
      std::string link(l.get_string());
      std::string name = link.substr(0, link.find(':'));
      std::string alias = link.find(':') == std::string::npos ? name : link.substr(link.find(':') + 1);
      auto it = f.addresses.find(name);
      if (it != f.addresses.end() && !it->second.empty()) hosts += it->second + "\t" + alias + " " + name + "\n";
    }
  }
  for (const auto& h : GetArray(def, "extraHosts")) {
    hosts += GetString(h.get_object(), "ipAddress") + "\t" + GetString(h.get_object(), "hostname") + "\n";
  }
  RETURN_IF_ERROR(Write(etc + "/hosts", hosts));
  RETURN_IF_ERROR(Write(etc + "/hostname", f.hostname + "\n"));
  RETURN_IF_ERROR(Write(etc + "/resolv.conf", ResolvConf(f.dns_servers)));
  std::vector<Mount> mounts = {{etc + "/hosts", "/etc/hosts", false},
                               {etc + "/hostname", "/etc/hostname", false},
                               {etc + "/resolv.conf", "/etc/resolv.conf", false}};

  std::map<std::string, std::string> volume_source;
  for (const auto& v : GetArray(td, "volumes")) {
    const json::object& vol = v.get_object();
    std::string name = GetString(vol, "name");
    auto host = vol.find("host");
    std::string source = host != vol.end() && host->value().is_object() ? GetString(host->value().get_object(), "sourcePath") : "";
    if (vol.contains("efsVolumeConfiguration") || vol.contains("dockerVolumeConfiguration") ||
        vol.contains("fsxWindowsFileServerVolumeConfiguration")) {
      return Status::InvalidArgument("volume " + name + ": only host and task-scoped volumes are supported by wharf");
    }
    if (source.empty()) source = f.task_dir + "/volumes/" + name;  // lives as long as the task
    fs::create_directories(source, ec);
    volume_source[name] = source;
  }
  std::vector<const json::object*> sources{&def};
  for (const auto& vf : GetArray(def, "volumesFrom")) {
    std::string from = GetString(vf.get_object(), "sourceContainer");
    for (const auto& c : GetArray(td, "containerDefinitions")) {
      if (GetString(c.get_object(), "name") == from) sources.push_back(&c.get_object());
    }
  }
  for (const json::object* c : sources) {
    for (const auto& m : GetArray(*c, "mountPoints")) {
      const json::object& mp = m.get_object();
      auto it = volume_source.find(GetString(mp, "sourceVolume"));
      if (it == volume_source.end()) return Status::InvalidArgument("mountPoint names an unknown volume " + GetString(mp, "sourceVolume"));
      auto ro = mp.find("readOnly");
      mounts.push_back({it->second, GetString(mp, "containerPath"), ro != mp.end() && ro->value().is_bool() && ro->value().get_bool()});
    }
  }
  return mounts;
}

}  // namespace wharf::agent
