// AWS CloudFormation (Query protocol, 2010-05-15), issue 18: stacks (Create/Update/Delete,
// DescribeStacks, ListStacks, GetTemplate, ValidateTemplate, ListExports, ListImports), their
// events and resources (paged by NextToken), their settings (UpdateTerminationProtection,
// Set/GetStackPolicy), and the change sets `aws cloudformation deploy` makes
// (Create/Describe/Execute/Delete/ListChangeSets). Errors are CloudFormation's:
// ValidationError ("Stack with id X does not exist"), AlreadyExistsException,
// ChangeSetNotFound, InsufficientCapabilitiesException, InvalidChangeSetStatus.
//
// The handlers check a request and record the operation (a stack *_IN_PROGRESS); the stack
// engine (controlplane/stack_engine.h) carries it out after the answer, with the resource
// provisioner of this folder (provisioner.h), which calls wharf's own services as the caller.
// Templates are read by cloudformation/template.h. State: model/stack.h's records
// (docs/STATE.md, cloudformation/).
//
// Thread-safety: handlers may run on many threads at once; every write is revision-checked.
#pragma once

#include <string>

#include "api/front_door.h"
#include "base/clock.h"
#include "base/random.h"
#include "controlplane/stack_engine.h"
#include "store/store.h"

namespace wharf::api::cloudformation {

struct CloudFormationDeps {
  store::Store& store;
  Clock& clock;
  Random& random;
  std::string region, account_id;
  controlplane::StackEngine& engine;  // runs what the handlers record
};

Result<ServiceEndpoint> MakeCloudFormationEndpoint(const CloudFormationDeps& deps);

}  // namespace wharf::api::cloudformation
