// The CNI invocation protocol (spec 1.0.0) for a network configuration list.
//
// A plugin is an executable in the plugin directory. It is told what to do through the
// environment (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH) and reads its
// network configuration on stdin: the list's plugin entry plus the list's "name" and
// "cniVersion", "runtimeConfig" restricted to the capabilities the entry declares, and
// "prevResult". ADD runs the list in order, each plugin getting the previous one's result;
// DEL runs it in reverse, each plugin getting the cached final ADD result (when there is
// one). A plugin's error object ({code, msg, details}) becomes the Status message.
//
// Debian's containernetworking-plugins 1.1.1 all speak 1.0.0 (firewall only 0.4.0 and 1.0.0).
// Thread-safe: no state besides the borrowed runner.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "base/process.h"
#include "base/status.h"

namespace wharf::agent {

inline constexpr const char* kCniVersion = "1.0.0";

struct CniArgs {
  std::string container_id;
  std::string netns;  // path; empty when the namespace is gone (DEL only)
  std::string ifname;
};

class CniInvoker {
 public:
  CniInvoker(CommandRunner& runner, std::string plugin_dir)
      : runner_(runner), plugin_dir_(std::move(plugin_dir)) {}

  // ADD of every plugin in `conflist`; returns the final result (what DEL needs later).
  // On failure the plugins already added are deleted again, in reverse.
  Result<boost::json::object> Add(const boost::json::object& conflist, const CniArgs& args,
                                  const boost::json::object& runtime_config);

  // DEL of every plugin in reverse order. Every plugin is tried; the first error is returned.
  Status Del(const boost::json::object& conflist, const CniArgs& args,
             const boost::json::object* cached_result,
             const boost::json::object& runtime_config);

  // Runs one plugin with an already assembled network configuration. Returns its parsed
  // stdout (an empty object when it printed nothing, as DEL does).
  Result<boost::json::object> Exec(const std::string& command, const boost::json::object& config,
                                   const CniArgs& args);

  // What a plugin of the list is given on stdin (exposed for tests).
  static boost::json::object PluginConfig(const boost::json::object& conflist,
                                          const boost::json::object& plugin,
                                          const boost::json::object& runtime_config,
                                          const boost::json::object* prev_result);

 private:
  CommandRunner& runner_;
  const std::string plugin_dir_;
};

}  // namespace wharf::agent
