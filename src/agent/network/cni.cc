#include "agent/network/cni.h"

#include <cstdlib>

#include "base/logging.h"

namespace wharf::agent {
namespace json = boost::json;
namespace {

std::string PluginType(const json::object& plugin) {
  const json::value* type = plugin.if_contains("type");
  return type && type->is_string() ? std::string(type->as_string()) : std::string();
}

// Turns a plugin's error object into a Status; "try again later" (11) is retryable.
Status PluginError(const std::string& type, const std::string& command, const CommandResult& r) {
  std::string msg;
  int64_t code = 0;
  boost::system::error_code ec;
  json::value v = json::parse(r.out, ec);
  if (!ec && v.is_object()) {
    const json::object& o = v.as_object();
    if (auto* c = o.if_contains("code"); c && c->is_int64()) code = c->as_int64();
    if (auto* m = o.if_contains("msg"); m && m->is_string()) msg = m->as_string().c_str();
    if (auto* d = o.if_contains("details"); d && d->is_string() && !d->as_string().empty()) {
      msg += std::string(" (") + d->as_string().c_str() + ")";
    }
  }
  if (msg.empty()) msg = !r.err.empty() ? r.err : r.out;
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  std::string text = "CNI " + type + " " + command + " failed";
  if (code != 0) text += " (code " + std::to_string(code) + ")";
  text += ": " + msg;
  if (code == 11) return Status::Unavailable(text);
  if (code == 1 || code == 2 || code == 4 || code == 6 || code == 7) {
    return Status::InvalidArgument(text);
  }
  return Status::Internal(text);
}

}  // namespace

json::object CniInvoker::PluginConfig(const json::object& conflist, const json::object& plugin,
                                      const json::object& runtime_config,
                                      const json::object* prev_result) {
  json::object config = plugin;
  config["name"] = conflist.at("name");
  config["cniVersion"] = conflist.at("cniVersion");
  config.erase("capabilities");
  // Only the capabilities a plugin asked for are passed on (CNI CONVENTIONS.md).
  json::object runtime;
  if (auto* caps = plugin.if_contains("capabilities"); caps && caps->is_object()) {
    for (const auto& [key, enabled] : caps->as_object()) {
      auto* value = runtime_config.if_contains(key);
      if (enabled.is_bool() && enabled.as_bool() && value) runtime[key] = *value;
    }
  }
  if (!runtime.empty()) config["runtimeConfig"] = std::move(runtime);
  if (prev_result) config["prevResult"] = *prev_result;
  return config;
}

Result<json::object> CniInvoker::Exec(const std::string& command, const json::object& config,
                                      const CniArgs& args) {
  std::string type = PluginType(config);
  if (type.empty() || type.find('/') != std::string::npos || type[0] == '.') {
    return Status::InvalidArgument("CNI plugin type missing or invalid: '" + type + "'");
  }
  std::map<std::string, std::string> env = {
      {"CNI_COMMAND", command},
      {"CNI_CONTAINERID", args.container_id},
      {"CNI_NETNS", args.netns},
      {"CNI_IFNAME", args.ifname},
      {"CNI_PATH", plugin_dir_},
      // The plugins exec iptables, ip6tables and friends.
      {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
  };
  Command cmd{{plugin_dir_ + "/" + type}, std::move(env), json::serialize(config)};
  auto ran = runner_.Run(cmd);
  if (!ran.ok()) return ran.status().WithContext("CNI " + type + " " + command);
  const CommandResult& r = *ran;
  if (r.exit_code != 0) return PluginError(type, command, r);
  if (r.out.find_first_not_of(" \n\t\r") == std::string::npos) return json::object();
  boost::system::error_code ec;
  json::value v = json::parse(r.out, ec);
  if (ec || !v.is_object()) {
    return Status::Internal("CNI " + type + " " + command + ": unparsable result: " + r.out);
  }
  return std::move(v.as_object());
}

Result<json::object> CniInvoker::Add(const json::object& conflist, const CniArgs& args,
                                     const json::object& runtime_config) {
  const json::array& plugins = conflist.at("plugins").as_array();
  std::optional<json::object> prev;
  for (size_t i = 0; i < plugins.size(); ++i) {
    json::object config = PluginConfig(conflist, plugins[i].as_object(), runtime_config,
                                       prev ? &*prev : nullptr);
    auto result = Exec("ADD", config, args);
    if (!result.ok()) {
      // Undo the ones that succeeded so that a failed ADD leaves no veth, lease or rule.
      for (size_t j = i + 1; j-- > 0;) {
        json::object undo = PluginConfig(conflist, plugins[j].as_object(), runtime_config,
                                         prev ? &*prev : nullptr);
        auto del = Exec("DEL", undo, args);
        if (!del.ok()) LOG_WARN("CNI rollback failed: {}", del.status().message());
      }
      return result.status();
    }
    // A plugin that passes nothing through (allowed for 0.x metas) keeps the previous result.
    if (!result->empty()) prev = std::move(*result);
  }
  if (!prev) return Status::Internal("CNI ADD produced no result");
  return std::move(*prev);
}

Status CniInvoker::Del(const json::object& conflist, const CniArgs& args,
                       const json::object* cached_result, const json::object& runtime_config) {
  const json::array& plugins = conflist.at("plugins").as_array();
  Status first;
  for (size_t i = plugins.size(); i-- > 0;) {
    json::object config =
        PluginConfig(conflist, plugins[i].as_object(), runtime_config, cached_result);
    auto result = Exec("DEL", config, args);
    if (!result.ok() && first.ok()) first = result.status();
  }
  return first;
}

}  // namespace wharf::agent
