// For the API's unit tests: a request as an SDK sends it, signed with SigV4, and the front
// door's answer to one, waited for.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <future>
#include <string>
#include <utility>
#include <vector>

#include "api/front_door.h"
#include "net/http_server.h"
#include "sigv4/sigv4.h"

namespace wharf::testing {

// A POST of `body` to "/" with `headers` (host added), signed at `now` by `key`/`secret` for
// `service` in us-east-1.
inline net::Request SignedPost(const std::string& service, std::vector<std::pair<std::string, std::string>> headers,
                               std::string body, const std::string& key, const std::string& secret,
                               std::chrono::system_clock::time_point now) {
  headers.emplace_back("host", "127.0.0.1");
  sigv4::SignRequest(headers, "POST", "/", body, key, secret, "us-east-1", service, now);
  net::Request req{boost::beast::http::verb::post, "/", 11};
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

// The answer `front_door` gives `req`.
inline net::Response AnswerOf(api::FrontDoor& front_door, net::Request req) {
  std::promise<net::Response> answer;
  front_door.Handle(std::move(req), [&](net::Reply&& reply) { answer.set_value(std::move(reply.response)); });
  return answer.get_future().get();
}

}  // namespace wharf::testing
