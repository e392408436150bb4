// The rules RegisterTaskDefinition applies, with AWS's messages, and what it fills in.
// Pure functions of the request: no store, no clock.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "base/status.h"

namespace wharf::api::ecs {

// "1024", "1 vCPU", "1vcpu", "0.5 vCPU" -> CPU units; empty on nonsense.
std::optional<int64_t> ParseCpu(std::string_view text);
// "3072", "3 GB", "3GB", "512 MiB" -> MiB; empty on nonsense.
std::optional<int64_t> ParseMemory(std::string_view text);
// Whether Fargate offers this task size.
bool IsFargateSize(int64_t cpu, int64_t memory_mib);

// Checks a RegisterTaskDefinition request (already shape-checked). InvalidArgument
// carries the message AWS gives (ClientException).
Status CheckTaskDefinition(const boost::json::object& request);

// The task definition as ECS stores it: the request's fields, defaults filled in, cpu and
// memory normalised, and compatibilities / requiresAttributes computed. No ARN, revision
// or registration fields: the caller adds those.
boost::json::object NormalizeTaskDefinition(const boost::json::object& request);

}  // namespace wharf::api::ecs
