// StackEngine: carries CloudFormation stack operations to their end, after the API has
// recorded them (api/cloudformation): CreateStack and ExecuteChangeSet leave a stack
// CREATE_IN_PROGRESS or UPDATE_IN_PROGRESS, DeleteStack DELETE_IN_PROGRESS, and the engine
// does the rest as CloudFormation does:
//
//   create   resources in dependency order (cloudformation/graph.h), each with its
//            CREATE_IN_PROGRESS / CREATE_COMPLETE events, each started as soon as what it
//            depends on is complete, so independent resources are made in parallel and a
//            stack takes about its critical path; then the outputs, CREATE_COMPLETE.
//            A failure starts nothing more; what was being made meanwhile is cancelled
//            (CREATE_FAILED "Resource creation cancelled") and rolled back with the rest.
//            A resource that fails: its CREATE_FAILED event with the reason, the stack
//            ROLLBACK_IN_PROGRESS, what was made deleted in reverse order, ROLLBACK_COMPLETE
//            (CREATE_FAILED with DisableRollback).
//   update   new resources created, changed ones modified in place or replaced (the
//            provisioner decides; the stack policy, cloudformation/stack_policy.h, may refuse
//            a Modify, Replace or Delete: that resource UPDATE_FAILED), then UPDATE_COMPLETE_CLEANUP_IN_PROGRESS deletes what was
//            replaced or removed, UPDATE_COMPLETE. A failure undoes it back to the previous
//            template: UPDATE_ROLLBACK_IN_PROGRESS ... UPDATE_ROLLBACK_COMPLETE.
//   delete   resources in reverse order (DeletionPolicy Retain kept: DELETE_SKIPPED), then
//            DELETE_COMPLETE, and the stack moves to the deleted stacks.
//
// Every step is one revision-checked commit of the stack record with its events, so a
// restarted server carries on from the store (Resume): a resource that was being created when
// the server stopped is counted failed (its service may or may not have made it; the
// rollback deletes it by whatever id it got), so the operation rolls back.
//
// Resources are made by a ResourceProvisioner: the API layer's one calls wharf's own service
// operations as the stack's caller, so IAM applies to them as on AWS.
//
// Thread-safety: Run and Resume may be called from any thread; each stack operation runs on a
// thread of its own, one at a time per stack. The destructor waits for them.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/status.h"
#include "cloudformation/intrinsics.h"
#include "model/stack.h"
#include "store/store.h"

namespace wharf::controlplane {

struct ProvisionedResource {
  std::string physical_id;
  boost::json::value ref;          // Ref's value
  boost::json::object attributes;  // Fn::GetAtt's values
};

// Makes, changes and removes resources of the types wharf serves. Calls block until the
// resource is as CloudFormation reports it (an ECS service: stable). Create is called from
// several threads at once (one per resource being made); `stack` is then the caller's copy.
class ResourceProvisioner {
 public:
  virtual ~ResourceProvisioner() = default;
  // FailedPrecondition "Resource type X is not supported by wharf" for the others.
  // `made_id` is set as soon as the resource exists, so that one made but failing after
  // (a service that never becomes stable) is still deleted by the rollback.
  virtual Result<ProvisionedResource> Create(const model::Stack& stack, std::string_view logical_id,
                                             std::string_view type, const boost::json::object& properties,
                                             std::string& made_id) = 0;
  // Changes `resource` to `properties` in place. FailedPrecondition when the change needs
  // a replacement (a new resource, the old one deleted in the cleanup).
  virtual Result<ProvisionedResource> Update(const model::Stack& stack, const model::StackResource& resource,
                                             const boost::json::object& properties) = 0;
  // Removing what is already gone succeeds.
  virtual Status Delete(const model::Stack& stack, const model::StackResource& resource) = 0;
  // The server is stopping: calls under way give up waiting soon (their answers are not
  // recorded; the operation carries on after the restart).
  virtual void Stop() {}
};

// Whether an update error means "replace it" rather than "it failed".
bool NeedsReplacement(const Status& status);
Status ReplacementNeeded(std::string why);

struct StackEngineDeps {
  store::Store& store;
  Clock& clock;
  ResourceProvisioner& provisioner;
  std::string region;
  std::string account_id;
  // Fn::GetAZs: a region's availability zones.
  std::function<std::vector<std::string>(std::string_view region)> availability_zones;
  // Resources one operation provisions at once (independent ones are made in parallel).
  size_t max_parallel_resources = 16;
};

// The pseudo parameters (AWS::Region, AWS::StackName, ...) and the region's zones of the stack
// named `stack_name`, as its template's intrinsic functions and Fn::ForEach loops see them.
cloudformation::Scope PseudoParameters(const StackEngineDeps& deps, const std::string& stack_name,
                                       const std::string& stack_id);

class StackEngine {
 public:
  explicit StackEngine(StackEngineDeps deps);
  ~StackEngine();
  StackEngine(const StackEngine&) = delete;
  StackEngine& operator=(const StackEngine&) = delete;

  // Carries on the operation under way on the stack named `name` (nothing when none is).
  void Run(const std::string& name) EXCLUDES(mu_);
  // Run for every stack the store says has an operation under way.
  Status Resume();
  // Runs the operation on this thread (tests).
  Status RunNow(const std::string& name);
  // PseudoParameters with this engine's region, account and zones.
  cloudformation::Scope PseudoParameters(const std::string& stack_name, const std::string& stack_id) const;

 private:
  void Finished(const std::string& name) EXCLUDES(mu_);

  const StackEngineDeps deps_;
  Mutex mu_;
  std::set<std::string> running_ GUARDED_BY(mu_);  // stacks with an operation thread
  std::set<std::string> again_ GUARDED_BY(mu_);    // asked to run while running
  std::vector<std::thread> threads_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::atomic<bool> abandon_{false};  // operations stop recording: the server is stopping
};

}  // namespace wharf::controlplane
