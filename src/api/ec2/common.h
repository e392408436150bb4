// Shared pieces of the EC2 handlers: their context, records, errors and AWS's filters.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <functional>
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
// "<Code>.NotFound"-style errors: NotFound("InvalidVpcID.NotFound", "vpc", id) says
// "The vpc ID '<id>' does not exist", as EC2 does.
AwsError NotFound(std::string code, std::string_view what, std::string_view id);
// DependencyViolation: "The <what> '<id>' has dependencies and cannot be deleted."
AwsError HasDependencies(std::string_view what, std::string_view id);

// The Modify*Attribute operations' write: finds the record with `find`, lets `change` change
// its value (or refuse with an error) and stores it, all again when another writer got there
// first. Answers {} once stored.
Outcome ModifyRecord(Context& c, const std::function<std::variant<Record, AwsError>()>& find,
                     const std::function<std::optional<AwsError>(object& value)>& change);

// arn:aws:ec2:<region>:<account>:<type>/<id>
std::string Ec2Arn(const RequestContext& ctx, std::string_view type, std::string_view id);
// The region and account of the request, for the records it makes.
NetworkOptions Where(const RequestContext& ctx);
// Epoch seconds of the request's time, as timestamps are stored.
double NowSeconds(const RequestContext& ctx);

// The tags a request's TagSpecifications give a resource of `resource_type` ("vpc", ...).
json::array TagsFor(const object& in, std::string_view resource_type);

// The strings of a request's list member (e.g. SubnetIds), in order.
std::vector<std::string> Strings(const object& in, std::string_view member);

// AWS's Filter.N.Name / Filter.N.Value.M: filters AND, values OR, '*' and '?' wildcards.
// `fields` maps each filter name a resource answers to onto its member in the record
// (a string, boolean or integer); tag:<key>, tag-key and tag-value are understood too.
// A member may be a dotted path through objects and lists ("Attachments.VpcId" matches
// when any attachment's VpcId does).
struct FilterField {
  std::string_view filter;
  std::string_view member;
};
class Filters {
 public:
  // The request's filters, or InvalidParameterValue for a filter name not in `fields`.
  static std::variant<Filters, AwsError> Parse(const object& in,
                                               const std::vector<FilterField>& fields);
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

// MaxResults and NextToken as EC2 pages a Describe call: MaxResults within [min, max]
// (InvalidParameterValue otherwise), not together with a list of ids; the token is the id of
// the last item of the previous page, so a page never repeats or skips a survivor.
struct PageLimits {
  int min = 5;
  int max = 1000;
};

// One Describe call over the records under a prefix, in id order.
struct DescribeSpec {
  std::string_view prefix{};       // e.g. model::keys::kVpcs
  std::string_view ids_member{};   // the request's list of ids, e.g. "VpcIds"
  std::string_view ids_parameter{};  // its name in EC2's errors, e.g. "vpcIds"
  std::string_view id_member{};    // e.g. "VpcId"
  std::string_view result_member{};  // e.g. "Vpcs"
  std::vector<FilterField> fields{};
  std::function<AwsError(const std::string& id)> not_found{};
  // Fills what is computed at read time (a NAT gateway's state) before filters see it;
  // false drops the record (a resource gone from view).
  std::function<bool(object& record)> present{};
  std::optional<PageLimits> paging{};  // none: the call is not paged
};
Outcome Describe(Context& c, const object& in, const DescribeSpec& spec);
// The paging of `items` (already in id order) into `out`: out[result_member] and NextToken.
std::optional<AwsError> PageInto(const object& in, json::array items, std::string_view id_member,
                                 std::string_view result_member, const PageLimits& limits,
                                 bool ids_given, std::string_view ids_parameter, object& out);
// The record without wharf's own part (`_wharf`).
object Public(object record);

}  // namespace wharf::api::ec2
