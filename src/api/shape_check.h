// Checks a decoded request against its input shape, as the AWS front end does before an
// operation runs: JSON types (a mismatch is a SerializationException), then required
// members, enum values, lengths and ranges (the service's validation error). Members the
// model does not know are dropped, as AWS ignores them.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>

#include "api/service_model.h"

namespace wharf::api {

struct ShapeViolation {
  bool serialization = false;  // wrong JSON type, rather than a constraint
  std::string message;
};

std::optional<ShapeViolation> CheckShape(const Shape& shape, boost::json::value& value,
                                         const std::string& path);

}  // namespace wharf::api
