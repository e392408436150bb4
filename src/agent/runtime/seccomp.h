// Docker-format seccomp profiles translated to the OCI runtime spec's linux.seccomp.
//
// The Docker format (moby's profiles/seccomp, also containers-common's seccomp.json) has an
// archMap and per-rule includes/excludes by architecture, capability and kernel version; the
// OCI form has none of these, so the rules are resolved for one container's bounding
// capability set on this machine's architecture, exactly as dockerd does at container start.
// Thread-safety: pure functions; DefaultSeccompProfile caches the file once (thread-safe).
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace wharf::agent {

// Debian 12's golang-github-containers-common installs the Docker-format default here.
inline constexpr const char* kDefaultSeccompProfilePath = "/usr/share/containers/seccomp.json";

// The profile at kDefaultSeccompProfilePath, read and parsed on first call.
Result<std::shared_ptr<const boost::json::object>> DefaultSeccompProfile();

Result<boost::json::object> LoadSeccompProfile(const std::string& path);

// `go_arch` is Go's name for the architecture ("amd64", "arm64"): the profile's includes and
// excludes use it. `bounding_caps` are "CAP_"-prefixed. `kernel` is "major.minor" for minKernel
// checks ("" = assume new enough).
Result<boost::json::object> TranslateSeccompProfile(const boost::json::object& docker_profile,
                                                    const std::vector<std::string>& bounding_caps,
                                                    const std::string& go_arch,
                                                    const std::string& kernel = "");

// This machine's Go architecture name and "major.minor" kernel version.
std::string HostGoArch();
std::string HostKernelVersion();

}  // namespace wharf::agent
