// ceiling_server: the fastest answer wharf's HTTP layer can give, for bench/api_bench.py.
//
// It runs wharf's own net::HttpServer (one event loop per thread, SO_REUSEPORT acceptors,
// keep-alive) with a handler that answers every request with the same fixed 200 JSON body,
// so the gap between it and wharf is the API's own work: SigV4, JSON, shape checks, store.
//
// Usage: ceiling_server [--host H] [--port P] [--threads N] [--body-bytes B]
// Prints "ready port=P" on stdout once it listens; stops on SIGTERM/SIGINT.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "net/http_server.h"

int main(int argc, char** argv) {
  wharf::net::HttpServerOptions options;
  options.threads = 2;
  size_t body_bytes = 1011;
  CLI::App app{"fixed-body HTTP server: the ceiling for the API benchmark"};
  app.add_option("--host", options.host);
  app.add_option("--port", options.port);
  app.add_option("--threads", options.threads);
  app.add_option("--body-bytes", body_bytes);
  CLI11_PARSE(app, argc, argv);

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  // A JSON object of exactly body_bytes bytes.
  std::string body = "{\"pad\":\"" + std::string(body_bytes > 11 ? body_bytes - 11 : 0, 'x') + "\"}\n";
  auto server = wharf::net::HttpServer::Start(options, [&body](wharf::net::Incoming&& in,
                                                               wharf::net::Responder respond) {
    wharf::net::Response res{boost::beast::http::status::ok, 11};
    res.set(boost::beast::http::field::content_type, "application/x-amz-json-1.1");
    res.keep_alive(in.message.keep_alive());
    res.body() = body;
    respond(std::move(res));
  });
  if (!server.ok()) {
    std::fprintf(stderr, "ceiling_server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("ready port=%u\n", static_cast<unsigned>((*server)->port()));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  (*server)->Stop();
  return 0;
}
