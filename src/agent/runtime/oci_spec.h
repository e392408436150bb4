// The OCI runtime spec (a bundle's config.json) for one ECS container.
//
// BuildOciSpec turns an ECS containerDefinition (after overrides) plus the image config into
// what ECS on Docker would run: Docker's default capabilities, seccomp profile, masked /proc
// paths, default mounts and devices, and Docker's rules for combining entryPoint/command with
// the image's Entrypoint/Cmd, environment, user and working directory.
//
// It reads only from the rootfs (/etc/passwd, /etc/group to resolve names) and, when privileged,
// the host's /dev; everything else comes in through ContainerSpecInput. The seccomp profile is
// passed in (see seccomp.h); the default one is read once from the Debian file at first use.
// Thread-safety: a free function over values; safe to call from any thread.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace wharf::agent {

struct Mount {
  std::string source, destination;
  bool read_only = false;
};

struct ContainerSpecInput {
  boost::json::object definition;    // the ECS containerDefinition after overrides
  boost::json::object image_config;  // the OCI image config's "config": Env, Entrypoint, Cmd, ...
  std::string rootfs;                // absolute path
  std::string netns_path;            // "" = the host's network namespace (networkMode host)
  std::string hostname;
  std::vector<std::string> extra_env;  // "K=V" added by the agent (ECS_CONTAINER_METADATA_URI_V4)
  std::vector<Mount> mounts;  // volumes resolved by the caller, plus per-task /etc/hosts etc.
  std::string cgroups_path;   // e.g. "/wharf/<task-id>/<container>"
  bool privileged = false;    // or definition.privileged
  // Docker-format seccomp profile (containers-common's seccomp.json); null = the default one
  // from kDefaultSeccompProfilePath. Ignored when privileged.
  std::shared_ptr<const boost::json::object> seccomp_profile;
  // Bind-mounted at /sbin/docker-init for linuxParameters.initProcessEnabled, as Docker does
  // with its docker-init (tini). Debian's `tini` package ships this static build.
  std::string init_binary = "/usr/bin/tini-static";
};

// The user a process runs as, resolved as runc's GetExecUser does.
struct ExecUser {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  std::string home = "/";
};

// Resolves "", "name", "uid", "uid:gid", "name:group", ... against <rootfs>/etc/passwd and
// <rootfs>/etc/group (either may be missing). InvalidArgument when a name is not found.
Result<ExecUser> ResolveUser(const std::string& rootfs, const std::string& user_spec);

// Docker's merge of the container's entryPoint/command with the image's Entrypoint/Cmd.
// `entry_point`/`command` are null when the definition does not set them.
std::vector<std::string> ProcessArgs(const boost::json::value* entry_point,
                                     const boost::json::value* command,
                                     const boost::json::object& image_config);

// Capabilities as Docker's TweakCapabilities computes them ("CAP_"-prefixed, sorted).
// `add`/`drop` take ECS names ("SYS_ADMIN", "CAP_SYS_ADMIN" or "ALL").
Result<std::vector<std::string>> EffectiveCapabilities(const std::vector<std::string>& add,
                                                       const std::vector<std::string>& drop,
                                                       bool privileged);

// Docker's default capability set, "CAP_"-prefixed.
const std::vector<std::string>& DefaultCapabilities();

Result<boost::json::object> BuildOciSpec(const ContainerSpecInput& input);

}  // namespace wharf::agent
