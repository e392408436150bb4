// The body of a PUT to the ECS agent's task protection endpoint
// ($ECS_AGENT_URI/task-protection/v1/state), as the Amazon ECS Developer Guide ("Task scale-in
// protection endpoint") documents it: {"ProtectionEnabled": true, "ExpiresInMinutes": 60}.
// Any process in a task's containers may send it, so it is untrusted input
// (fuzz/task_protection_fuzzer.cc).
//
// Pure; thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "base/status.h"

namespace wharf::agent {

// The body as UpdateTaskProtection's input members (protectionEnabled, expiresInMinutes);
// InvalidArgument with the agent's message ("Invalid request: ...") when it is not what the
// endpoint takes. ExpiresInMinutes is passed on as sent, for ECS to check its range.
Result<boost::json::object> TaskProtectionInput(std::string_view body);

}  // namespace wharf::agent
