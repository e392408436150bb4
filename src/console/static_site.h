// The web console's files, served by wharf on its API port under /console/.
//
// The console (web/) is a single-page app built by the CMake build into `console/` next to
// the wharf binary. It calls the same public API every client uses, signed with SigV4 from
// the browser; wharf only hands out its files. Same origin as the API, so the browser sends
// those signed requests without CORS (docs/ARCHITECTURE.md, "The web console").
//
// Terms: a target is the request's path and query ("/console/assets/index-1a2b.js?x");
// the site root is the directory of the built files. The app routes on the URL's fragment
// (#/ecs/clusters/x), which browsers never send, so every target names a real file.
//
// Thread-safety: a StaticSite is constant after construction; Serve may run on any thread.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "net/http_server.h"

namespace wharf::console {

inline constexpr std::string_view kPrefix = "/console";

// Whether a target is the console's ("/console", "/console/...", "/console?..."), never an
// AWS API request: JSON and Query requests go to "/", the registry to "/v2/".
bool IsConsoleTarget(std::string_view target);

// The file a console target names, relative to the site root ("/console/" -> index.html).
// NotFound for anything that is not a plain path inside the root: "..", hidden files,
// percent-escapes and characters the build never writes.
Result<std::string> SitePath(std::string_view target);

// The Content-Type of a built file, by its extension.
std::string_view ContentType(std::string_view path);

// Where the console is when --console-dir is not given: console/ beside the running binary.
std::string DefaultConsoleDir();

class StaticSite {
 public:
  explicit StaticSite(std::string root) : root_(std::move(root)) {}

  // The answer to a GET or HEAD of a console target: the file (gzip-compressed when the
  // build left a .gz beside it and the browser accepts it), a redirect from "/console" to
  // "/console/", 404, or 405 for other methods.
  net::Reply Serve(const net::Request& request) const;

  const std::string& root() const { return root_; }

 private:
  const std::string root_;
};

}  // namespace wharf::console
