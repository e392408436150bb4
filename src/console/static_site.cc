#include "console/static_site.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/beast/http/field.hpp>
#include <filesystem>

namespace wharf::console {

namespace http = boost::beast::http;

namespace {

bool IsPlainChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == '_' || c == '/';
}

bool IsRegularFile(const std::string& path, uint64_t* size) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  if (size) *size = static_cast<uint64_t>(st.st_size);
  return true;
}

bool AcceptsGzip(const net::Request& request) {
  auto it = request.find(http::field::accept_encoding);
  return it != request.end() && std::string_view(it->value()).find("gzip") != std::string_view::npos;
}

net::Response PlainAnswer(const net::Request& request, http::status status, std::string body) {
  net::Response res{status, request.version()};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace

bool IsConsoleTarget(std::string_view target) {
  if (!target.starts_with(kPrefix)) return false;
  return target.size() == kPrefix.size() || target[kPrefix.size()] == '/' || target[kPrefix.size()] == '?';
}

Result<std::string> SitePath(std::string_view target) {
  if (!IsConsoleTarget(target)) return Status::NotFound("not a console path");
  std::string_view path = target.substr(0, target.find('?'));
  path.remove_prefix(kPrefix.size());
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return std::string("index.html");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    // Empty segments ("a//b"), dot files and "..": nothing the build writes.
    if (segment.empty() || segment.front() == '.') return Status::NotFound("no such console file");
    for (char c : segment) {
      if (!IsPlainChar(c)) return Status::NotFound("no such console file");
    }
    start = end + 1;
  }
  return std::string(path);
}

std::string_view ContentType(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  for (const auto& [ext, type] : kTypes) {
    if (path.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

std::string DefaultConsoleDir() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "console";
  return (exe.parent_path() / "console").string();
}

net::Reply StaticSite::Serve(const net::Request& request) const {
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    net::Response res = PlainAnswer(request, http::status::method_not_allowed, "The console answers GET and HEAD.\n");
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  if (path == kPrefix) {
    // The app's assets are relative to /console/: a page at /console would load them from /.
    net::Response res = PlainAnswer(request, http::status::moved_permanently, "");
    res.set(http::field::location, std::string(kPrefix) + "/" + std::string(target.substr(path.size())));
    return res;
  }
  auto relative = SitePath(target);
  if (!relative.ok()) return PlainAnswer(request, http::status::not_found, "Not found.\n");
  std::string file = root_ + "/" + *relative;
  uint64_t size = 0;
  if (!IsRegularFile(file, &size)) {
    if (!IsRegularFile(root_ + "/index.html", nullptr)) {
      return PlainAnswer(request, http::status::not_found,
                         "The web console is not built: no index.html in " + root_ +
                             " (build it with `make build`, or point --console-dir at it).\n");
    }
    return PlainAnswer(request, http::status::not_found, "Not found.\n");
  }

  net::Response res{http::status::ok, request.version()};
  res.set(http::field::content_type, ContentType(*relative));
  res.set("X-Content-Type-Options", "nosniff");
  res.set(http::field::vary, "Accept-Encoding");
  if (relative->starts_with("assets/")) {
    // Vite names every asset by its content hash: a new build makes new names.
    res.set(http::field::cache_control, "public, max-age=31536000, immutable");
  } else {
    res.set(http::field::cache_control, "no-cache");
  }
  if (relative->ends_with(".html")) {
    // The page holds credentials in its session storage and signs requests with them: it
    // talks only to its own origin and is never framed by another site.
    res.set("Content-Security-Policy",
            "default-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; "
            "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'");
    res.set("X-Frame-Options", "DENY");
    res.set("Referrer-Policy", "no-referrer");
  }
  uint64_t gz_size = 0;
  if (AcceptsGzip(request) && IsRegularFile(file + ".gz", &gz_size)) {
    file += ".gz";
    size = gz_size;
    res.set(http::field::content_encoding, "gzip");
  }
  if (request.method() == http::verb::head) {
    res.content_length(size);
    return res;
  }
  net::Reply reply(std::move(res));
  reply.file = std::move(file);
  return reply;
}

}  // namespace wharf::console
