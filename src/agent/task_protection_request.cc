#include "agent/task_protection_request.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace wharf::agent {
namespace json = boost::json;

Result<json::object> TaskProtectionInput(std::string_view body) {
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return Status::InvalidArgument("Invalid request: failed to decode request");
  const json::object& in = parsed.get_object();
  const json::value* enabled = in.if_contains("ProtectionEnabled");
  if (!enabled || !enabled->is_bool()) {
    return Status::InvalidArgument("Invalid request: does not contain 'ProtectionEnabled' field");
  }
  json::object out{{"protectionEnabled", enabled->get_bool()}};
  if (const json::value* minutes = in.if_contains("ExpiresInMinutes"); minutes && !minutes->is_null()) {
    // ECS checks the range (1 to 2,880); an integer of any size is passed on for it to refuse.
    if (minutes->is_int64()) {
      out["expiresInMinutes"] = minutes->get_int64();
    } else if (minutes->is_uint64()) {
      out["expiresInMinutes"] = minutes->get_uint64();
    } else {
      return Status::InvalidArgument("Invalid request: ExpiresInMinutes must be an integer");
    }
  }
  return out;
}

}  // namespace wharf::agent
