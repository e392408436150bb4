// The CloudFormation operations, one function each, grouped in the .cc files.
#pragma once

#include "api/cloudformation/common.h"

namespace wharf::api::cloudformation {

// stacks.cc
Outcome CreateStack(const Deps&, const RequestContext&, object& in);
Outcome UpdateStack(const Deps&, const RequestContext&, object& in);
Outcome DeleteStack(const Deps&, const RequestContext&, object& in);
Outcome DescribeStacks(const Deps&, const RequestContext&, object& in);
Outcome ListStacks(const Deps&, const RequestContext&, object& in);
Outcome GetTemplate(const Deps&, const RequestContext&, object& in);
Outcome ValidateTemplate(const Deps&, const RequestContext&, object& in);
Outcome GetTemplateSummary(const Deps&, const RequestContext&, object& in);
Outcome ListExports(const Deps&, const RequestContext&, object& in);

// stack_resources.cc
Outcome DescribeStackEvents(const Deps&, const RequestContext&, object& in);
Outcome DescribeStackResource(const Deps&, const RequestContext&, object& in);
Outcome DescribeStackResources(const Deps&, const RequestContext&, object& in);
Outcome ListStackResources(const Deps&, const RequestContext&, object& in);

// change_sets.cc
Outcome CreateChangeSet(const Deps&, const RequestContext&, object& in);
Outcome DescribeChangeSet(const Deps&, const RequestContext&, object& in);
Outcome ExecuteChangeSet(const Deps&, const RequestContext&, object& in);
Outcome DeleteChangeSet(const Deps&, const RequestContext&, object& in);
Outcome ListChangeSets(const Deps&, const RequestContext&, object& in);

// stack_settings.cc
Outcome UpdateTerminationProtection(const Deps&, const RequestContext&, object& in);
Outcome SetStackPolicy(const Deps&, const RequestContext&, object& in);
Outcome GetStackPolicy(const Deps&, const RequestContext&, object& in);
Outcome ListImports(const Deps&, const RequestContext&, object& in);

// The stack an update (UpdateStack or an UPDATE change set) makes of `current`: the new
// template and parameter values, the old ones kept to roll back to.
Result<model::Stack> PlanUpdate(const Deps& deps, const model::Stack& current, const cfn::Template& t,
                                const std::string& body, const object& in);

}  // namespace wharf::api::cloudformation
