// Shared pieces of the EC2 handlers: their context, records, errors and AWS's filters.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/aws_error.h"
#include "api/ec2/ec2.h"
#include "api/json_util.h"
#include "controlplane/records.h"

namespace wharf::api::ec2 {

namespace json = boost::json;
using boost::json::object;

// What every handler shares.
class Context {
 public:
  explicit Context(const Ec2Deps& deps) : deps(deps) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  std::string NewId(std::string_view kind);  // "sg" -> "sg-<17 hex>"
  store::Store& store() const { return deps.store; }
  const NetworkOptions& network() const { return deps.network; }

  const Ec2Deps deps;  // constant after construction

 private:
  SecureRandom own_random_;
};

// A stored record with the revision it was read at.
using Record = controlplane::StoredRecord;
using controlplane::ReadRecord;
using controlplane::ReadRecords;

// Errors.
AwsError Ec2Error(const Status& status);  // a Status from below
AwsError InvalidParameterValue(std::string message);
AwsError MissingParameter(std::string parameter);
AwsError GroupNotFound(std::string_view group);  // by id, or by name in the default VPC
AwsError TooManyConcurrentUpdates();

// The strings of a request's list member (e.g. SubnetIds), in order.
std::vector<std::string> Strings(const object& in, std::string_view member);

// AWS's Filter.N.Name / Filter.N.Value.M: filters AND, values OR, '*' and '?' wildcards.
// `fields` maps each filter name a resource answers to onto its member in the record
// (a string, boolean or integer); tag:<key>, tag-key and tag-value are understood too.
struct FilterField {
  std::string_view filter;
  std::string_view member;
};
class Filters {
 public:
  // The request's filters, or InvalidParameterValue for a filter name not in `fields`.
  static std::variant<Filters, AwsError> Parse(const object& in,
                                               std::initializer_list<FilterField> fields);
  bool Match(const object& resource) const;

 private:
  struct One {
    std::string name;
    std::string member;  // empty for tag filters
    std::vector<std::string> values;
  };
  std::vector<One> filters_;
};

bool WildcardMatch(std::string_view pattern, std::string_view text);

}  // namespace wharf::api::ec2
