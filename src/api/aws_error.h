// AwsError: an error as the client sees it (code, message, HTTP status). Only src/api
// builds these; everything below speaks Status.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <utility>
#include <variant>

#include "base/status.h"

namespace wharf::api {

struct AwsError {
  std::string code;
  std::string message;
  int http_status = 400;
  bool server_fault = false;  // Query protocol <Type>Receiver</Type>
  boost::json::object extra{};  // more members of a JSON error body (ECR's KmsException.kmsError)

  static AwsError Client(std::string code, std::string message) {
    return AwsError{std::move(code), std::move(message), 400, false};
  }
  static AwsError Server(std::string code, std::string message) {
    return AwsError{std::move(code), std::move(message), 500, true};
  }
};

// What an operation handler returns: the output structure, or an AWS error.
class Outcome {
 public:
  Outcome(boost::json::object output) : v_(std::move(output)) {}  // NOLINT
  Outcome(AwsError error) : v_(std::move(error)) {}                // NOLINT
  bool ok() const { return std::holds_alternative<boost::json::object>(v_); }
  boost::json::object& output() { return std::get<boost::json::object>(v_); }
  const AwsError& error() const { return std::get<AwsError>(v_); }

 private:
  std::variant<boost::json::object, AwsError> v_;
};

}  // namespace wharf::api

// In a handler: bind a Result's value or return its Status as the given service's error.
#define ASSIGN_OR_FAIL(lhs, expr, to_error) \
  ASSIGN_OR_FAIL_IMPL(WHARF_CONCAT(_outcome_, __LINE__), lhs, expr, to_error)
#define ASSIGN_OR_FAIL_IMPL(tmp, lhs, expr, to_error) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return to_error(tmp.status());       \
  lhs = std::move(tmp).value()
