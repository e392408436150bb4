// Shared pieces of the CloudFormation handlers: errors, stack lookup, the describe shapes.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <variant>

#include "api/aws_error.h"
#include "api/cloudformation/cloudformation.h"
#include "api/json_util.h"
#include "api/resource_tags.h"
#include "cloudformation/parameters.h"
#include "cloudformation/template.h"
#include "model/keys.h"
#include "model/stack.h"

namespace wharf::api::cloudformation {

namespace json = boost::json;
namespace cfn = ::wharf::cloudformation;  // the template engine (not this folder's namespace)
using Deps = CloudFormationDeps;
using object = json::object;

AwsError CloudFormationError(const Status& status);
AwsError ValidationError(std::string message);
AwsError StackNotFound(std::string_view name_or_id);  // "Stack with id X does not exist"

// A stored stack with the revision it was read at.
struct StoredStack {
  model::Stack stack;
  int64_t revision = 0;
  bool deleted = false;  // from the deleted stacks (by stack id only)
};
// A live stack by name or stack id; a deleted one only by stack id. nullopt: none.
Result<std::optional<StoredStack>> FindStack(const Deps& deps, std::string_view name_or_id);
// The tags of a stack ARN, for aws:ResourceTag: stack/<name>/<id>, or stack/<name>/* as the
// checks name a stack given by name (api/authz/cloudformation_checks.cc). Empty when none.
ResourceTags ResourceTagsOf(const Deps& deps, std::string_view arn);
// Every live stack, and the deleted ones when `with_deleted`.
Result<std::vector<model::Stack>> AllStacks(const Deps& deps, bool with_deleted);

double Now(const Deps& deps);
std::string NewStackId(const Deps& deps, const std::string& name);

// DescribeStacks' Stack shape.
json::object DescribeStack(const model::Stack& stack);
// DescribeStackResources' StackResource shape.
json::object DescribeResource(const model::Stack& stack, const model::StackResource& r);
// The template's parameters with the values ValidateTemplate and DescribeChangeSet report.
json::array ParameterList(const model::Stack& stack);

// The template, parsed (Fn::ForEach collections see the region's pseudo parameters and
// zones, and StackName when `in` names it), or CloudFormation's ValidationError. TemplateURL
// is refused (wharf has no S3 yet).
std::variant<cfn::Template, AwsError> ReadTemplate(const Deps& deps, const json::object& in, std::string* body);
// The capabilities a template needs that `in` does not acknowledge: the error to answer.
std::optional<AwsError> MissingCapabilities(const cfn::Template& t, const json::object& in);
// Parameters of the request ({ParameterKey, ParameterValue, UsePreviousValue}).
std::vector<cfn::ParameterInput> ParameterInputs(const json::object& in);

// Writes the stack record alone (a setting changed between operations, no event).
Result<bool> PutStack(const Deps& deps, const model::Stack& stack, int64_t revision);

// Paging (NextToken): the offset a request's NextToken names (0 without one), nullopt for a
// token wharf did not make; and the token of offset `next`.
std::optional<size_t> PageOffset(const json::object& in);
std::string PageToken(size_t next);
AwsError InvalidNextToken();
// items[offset, offset + page) into out[member], with out["NextToken"] when more remain.
std::optional<AwsError> Page(const json::object& in, json::array items, size_t page, std::string_view member,
                             json::object& out);
// A stack policy body (StackPolicyBody / StackPolicyDuringUpdateBody) checked, or the error to
// answer; StackPolicyURL is refused (wharf has no S3 yet).
std::optional<AwsError> CheckStackPolicy(const json::object& in, std::string_view body_member,
                                         std::string_view url_member);

// Writes the stack's first event ("User Initiated") and the record in one commit.
Result<bool> CommitStack(const Deps& deps, const model::Stack& stack, int64_t revision, std::string_view reason,
                         std::vector<store::Op> extra = {});

}  // namespace wharf::api::cloudformation
