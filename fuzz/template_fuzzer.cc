// libFuzzer target: arbitrary bytes as a CloudFormation template body (JSON, or YAML with the
// short-form tags), what CreateStack and ValidateTemplate take from clients
// (cloudformation/template.h), Fn::ForEach loops included (cloudformation/foreach.h, expanded
// with the defaults and again with other values). Every template that parses has its parameters resolved with
// their defaults, its conditions evaluated, and every resource's properties and every output
// resolved against stand-in resources. The same bytes are read as a stack policy
// (cloudformation/stack_policy.h, SetStackPolicy's body) and asked about an update. Checks: no crash, no sanitizer report, no hang (alias
// expansion is bounded), and parsing is a pure function. Build and run with
// `fuzz/run.sh template`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "cloudformation/graph.h"
#include "cloudformation/intrinsics.h"
#include "cloudformation/parameters.h"
#include "cloudformation/stack_policy.h"
#include "cloudformation/template.h"

namespace cfn = wharf::cloudformation;
namespace json = boost::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  if (auto policy = cfn::StackPolicy::Parse(body); policy.ok()) {
    (void)policy->Denied("Update:Replace", "Database", "AWS::RDS::DBInstance");
  }
  auto t = cfn::ParseTemplate(body);
  auto again = cfn::ParseTemplate(body);
  if (t.ok() != again.ok()) std::abort();
  if (!t.ok()) return 0;
  if (!cfn::CreationOrder(*t).ok()) std::abort();  // ParseTemplate refuses cycles
  auto values = cfn::ResolveParameterValues(*t, {}, {});
  if (!values.ok()) return 0;
  // The Fn::ForEach loops again with the stack's values (as CreateChangeSet and the stack
  // engine expand them), which may fail where the defaults did not, never crash.
  if (!t->transforms.empty()) {
    std::map<std::string, std::string> listed = *values;
    for (auto& [name, value] : listed) value += ",x,y";
    (void)cfn::ParseTemplate(body, &listed);
    (void)cfn::ParseTemplate(body, &*values);
    // And with the pseudo parameters and zones a collection may name (!GetAZs '', ${AWS::Region}).
    cfn::Scope pseudo;
    pseudo.values["AWS::Region"] = "us-east-1";
    pseudo.values["AWS::AccountId"] = "123456789012";
    pseudo.availability_zones = {"us-east-1a", "us-east-1b"};
    (void)cfn::ParseTemplate(body, &*values, &pseudo);
  }
  cfn::Scope scope;
  scope.values["AWS::Region"] = "us-east-1";
  scope.values["AWS::StackName"] = "fuzz";
  cfn::AddParameters(*t, *values, scope);
  scope.mappings = &t->mappings;
  scope.availability_zones = {"us-east-1a", "us-east-1b"};
  scope.availability_zones_in = [](std::string_view region) { return std::vector<std::string>{std::string(region) + "a"}; };
  scope.resource_ref = [](std::string_view id) -> wharf::Result<json::value> { return json::value(json::string(id)); };
  scope.resource_attribute = [](std::string_view id, std::string_view a) -> wharf::Result<json::value> {
    return json::value(json::string(std::string(id) + "." + std::string(a)));
  };
  auto conditions = cfn::EvaluateConditions(*t, scope);
  if (!conditions.ok()) return 0;
  scope.conditions = *conditions;
  for (const auto& r : t->resources) (void)cfn::ResolveObject(r.properties, scope);
  for (const auto& o : t->outputs) (void)cfn::Resolve(o.value, scope);
  return 0;
}
