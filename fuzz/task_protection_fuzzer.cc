// The PUT body of the ECS agent's task protection endpoint (agent/task_protection_request.h),
// which any process in a task may send: whatever the bytes, TaskProtectionInput answers the
// input members or InvalidArgument, and what it answers is UpdateTaskProtection's shape.
#include <boost/json/serialize.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/task_protection_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto input = wharf::agent::TaskProtectionInput(body);
  if (!input.ok()) {
    if (!input.status().IsInvalidArgument() || !input.status().message().starts_with("Invalid request: ")) std::abort();
    return 0;
  }
  const auto* enabled = input->if_contains("protectionEnabled");
  if (!enabled || !enabled->is_bool()) std::abort();
  const auto* minutes = input->if_contains("expiresInMinutes");
  if (minutes && !minutes->is_int64() && !minutes->is_uint64()) std::abort();
  if (input->size() != (minutes ? 2u : 1u)) std::abort();
  (void)boost::json::serialize(*input);
  return 0;
}
