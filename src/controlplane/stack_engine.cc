#include "controlplane/stack_engine.h"

#include <boost/json/serialize.hpp>
#include <algorithm>

#include "base/logging.h"
#include "cloudformation/graph.h"
#include "controlplane/parallel_steps.h"
#include "cloudformation/intrinsics.h"
#include "cloudformation/parameters.h"
#include "cloudformation/stack_policy.h"
#include "cloudformation/template.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::controlplane {
namespace json = boost::json;
namespace cfn = cloudformation;
using model::Stack;
using model::StackResource;

namespace {

constexpr std::string_view kStackType = "AWS::CloudFormation::Stack";
constexpr std::string_view kReplacementPrefix = "replacement needed: ";
// What provisioning one resource on a step's thread answers.
struct Provisioned {
  Result<ProvisionedResource> made = Status::Internal("not run");
  std::string made_id;
};

std::string Names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

cfn::Scope PseudoParameters(const StackEngineDeps& deps, const std::string& stack_name, const std::string& stack_id) {
  cfn::Scope scope;
  scope.values["AWS::Region"] = json::string(deps.region);
  scope.values["AWS::AccountId"] = json::string(deps.account_id);
  scope.values["AWS::StackName"] = json::string(stack_name);
  scope.values["AWS::StackId"] = json::string(stack_id);
  scope.values["AWS::Partition"] = "aws";
  scope.values["AWS::URLSuffix"] = "amazonaws.com";
  scope.values["AWS::NotificationARNs"] = json::array();
  if (deps.availability_zones) scope.availability_zones = deps.availability_zones(deps.region);
  scope.availability_zones_in = deps.availability_zones;
  return scope;
}

namespace {

// One stack operation, from the stored record to the operation's end.
class Operation {
 public:
  Operation(const StackEngineDeps& deps, const std::atomic<bool>& abandon, Stack stack, int64_t revision)
      : deps_(deps), abandon_(abandon), stack_(std::move(stack)), revision_(revision) {}

  Status Run() {
    const std::string status = stack_.status;
    if (status == "CREATE_IN_PROGRESS") return Create();
    if (status == "ROLLBACK_IN_PROGRESS") return Rollback();
    if (status == "DELETE_IN_PROGRESS") return Delete();
    if (status == "UPDATE_IN_PROGRESS") return Update();
    if (status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") return Cleanup();
    if (status == "UPDATE_ROLLBACK_IN_PROGRESS") return UpdateRollback();
    if (status == "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS") return UpdateRollbackCleanup();
    return Status::OK();
  }

 private:
  double Now() const { return EpochSeconds(deps_.clock.Now()); }

  void Event(const std::string& logical_id, const std::string& physical_id, std::string_view type,
             const std::string& status, const std::string& reason, const json::object* properties = nullptr) {
    json::object e{{"StackId", stack_.stack_id},
                   {"EventId", logical_id + "-" + status + "-" + std::to_string(stack_.events)},
                   {"StackName", stack_.name},
                   {"LogicalResourceId", logical_id},
                   {"PhysicalResourceId", physical_id},
                   {"ResourceType", type},
                   {"Timestamp", Now()},
                   {"ResourceStatus", status}};
    if (!reason.empty()) e["ResourceStatusReason"] = reason;
    if (properties) e["ResourceProperties"] = json::serialize(*properties);
    events_.emplace_back(model::keys::StackEventKey(stack_.uuid(), stack_.events++), Serialize(e));
  }

  void ResourceEvent(const StackResource& r, const json::object* properties = nullptr) {
    Event(r.logical_id, r.physical_id, r.type, r.status, r.status_reason, properties);
  }

  void SetStatus(std::string status, std::string reason = "") {
    stack_.status = std::move(status);
    stack_.status_reason = std::move(reason);
    if (!stack_.status.starts_with("CREATE") && !stack_.status.starts_with("ROLLBACK") &&
        !stack_.status.starts_with("DELETE")) {
      stack_.updated = Now();
    }
    Event(stack_.name, stack_.stack_id, kStackType, stack_.status, stack_.status_reason);
  }

  // The stack record and the events since the last save, in one commit checked against the
  // revision this operation last wrote (nobody else writes a stack while it is in progress).
  Status Save() {
    // A stopping server records nothing more: what was under way is judged at the restart.
    if (abandon_) return Status::Unavailable("the server is stopping");
    std::string key = model::keys::StackKey(stack_.name);
    store::Txn txn;
    txn.compares.push_back({key, revision_});
    if (stack_.status == "DELETE_COMPLETE") {
      txn.ops.push_back(store::Op::Delete(key));
      txn.ops.push_back(store::Op::Put(model::keys::DeletedStackKey(stack_.uuid()), Serialize(stack_.ToJson())));
    } else {
      txn.ops.push_back(store::Op::Put(key, Serialize(stack_.ToJson())));
    }
    for (auto& [k, v] : events_) txn.ops.push_back(store::Op::Put(k, std::move(v)));
    events_.clear();
    ASSIGN_OR_RETURN(auto result, deps_.store.Commit(txn));
    if (!result.succeeded) return Status::FailedPrecondition("stack " + stack_.name + " was changed by another writer");
    revision_ = result.revision;
    return Status::OK();
  }

  // The stack's template, its Fn::ForEach loops expanded with its parameters and pseudo parameters.
  Result<cfn::Template> Parse() const {
    cfn::Scope pseudo = PseudoParameters(deps_, stack_.name, stack_.stack_id);
    return cfn::ParseTemplate(stack_.template_body, &stack_.parameters, &pseudo);
  }

  // What intrinsic functions see for `t` with `parameters`: pseudo parameters, parameters,
  // mappings, conditions and this stack's resources.
  Result<cfn::Scope> MakeScope(const cfn::Template& t, const std::map<std::string, std::string>& parameters) {
    cfn::Scope scope = PseudoParameters(deps_, stack_.name, stack_.stack_id);
    cfn::AddParameters(t, parameters, scope);
    scope.mappings = &t.mappings;
    scope.resource_ref = [this](std::string_view id) -> Result<json::value> {
      const StackResource* r = stack_.FindResource(id);
      if (!r || r->physical_id.empty()) {
        return Status::InvalidArgument("Template error: resource " + std::string(id) + " is not created");
      }
      return r->ref.is_null() ? json::value(json::string(r->physical_id)) : r->ref;
    };
    scope.resource_attribute = [this](std::string_view id, std::string_view attribute) -> Result<json::value> {
      const StackResource* r = stack_.FindResource(id);
      if (!r || r->physical_id.empty()) {
        return Status::InvalidArgument("Template error: resource " + std::string(id) + " is not created");
      }
      const json::value* v = r->attributes.if_contains(attribute);
      if (!v) {
        return Status::InvalidArgument("Template error: resource " + std::string(id) + " does not support attribute type " +
                                       std::string(attribute) + " in Fn::GetAtt");
      }
      return *v;
    };
    scope.import_value = [this](std::string_view name) -> Result<std::string> {
      if (std::find(stack_.imports.begin(), stack_.imports.end(), name) == stack_.imports.end()) {
        stack_.imports.emplace_back(name);
      }
      ASSIGN_OR_RETURN(auto page, deps_.store.List(model::keys::kStacks, "", 0));
      for (const auto& kv : page.items) {
        ASSIGN_OR_RETURN(auto record, ParseObject(kv.value));
        ASSIGN_OR_RETURN(Stack other, Stack::FromJson(record));
        for (const auto& o : other.outputs) {
          if (o.export_name == name) return o.value;
        }
      }
      return Status::InvalidArgument("No export named " + std::string(name) + " found.");
    };
    ASSIGN_OR_RETURN(scope.conditions, cfn::EvaluateConditions(t, scope));
    return scope;
  }

  bool Wanted(const cfn::ResourceDefinition& def, const cfn::Scope& scope) const {
    if (def.condition.empty()) return true;
    auto it = scope.conditions.find(def.condition);
    return it != scope.conditions.end() && it->second;
  }

  Status ComputeOutputs(const cfn::Template& t, const cfn::Scope& scope) {
    stack_.outputs.clear();
    for (const auto& o : t.outputs) {
      if (!o.condition.empty() && !scope.conditions.at(o.condition)) continue;
      ASSIGN_OR_RETURN(auto value, cfn::Resolve(o.value, scope));
      model::StackOutput out{o.name, value ? cfn::ScalarText(*value).value_or(value->is_array() ? "" : Serialize(*value)) : "",
                             o.description, ""};
      if (value && value->is_array()) {
        for (const auto& item : value->get_array()) {
          out.value += (out.value.empty() ? "" : ",") + cfn::ScalarText(item).value_or("");
        }
      }
      if (o.export_name) {
        ASSIGN_OR_RETURN(auto name, cfn::Resolve(*o.export_name, scope));
        out.export_name = name ? cfn::ScalarText(*name).value_or("") : "";
      }
      stack_.outputs.push_back(std::move(out));
    }
    return Status::OK();
  }

  // Begins making a resource: its record added CREATE_IN_PROGRESS and saved. Its resolved
  // properties, or nullopt when they do not resolve (the record then CREATE_FAILED).
  Result<std::optional<json::object>> BeginCreate(const cfn::ResourceDefinition& def, const cfn::Scope& scope,
                                                  std::string change) {
    StackResource fresh;
    fresh.logical_id = def.logical_id;
    fresh.type = def.type;
    fresh.deletion_policy = def.deletion_policy;
    fresh.change = std::move(change);
    fresh.status = "CREATE_IN_PROGRESS";
    fresh.updated = Now();
    auto props = cfn::ResolveObject(def.properties, scope);
    if (props.ok()) fresh.properties = *props;
    stack_.resources.push_back(fresh);
    ResourceEvent(fresh, &fresh.properties);
    RETURN_IF_ERROR(Save());
    if (props.ok()) return std::optional<json::object>(std::move(*props));
    StackResource& r = stack_.resources.back();
    r.status = "CREATE_FAILED";
    r.status_reason = props.status().message();
    ResourceEvent(r);
    RETURN_IF_ERROR(Save());
    return std::optional<json::object>();
  }

  // The provisioning of a begun resource, as a step that may run on another thread: it holds
  // copies of what it needs, never this operation's state.
  std::function<Provisioned()> ProvisionStep(const cfn::ResourceDefinition& def, json::object properties) {
    ResourceProvisioner& provisioner = deps_.provisioner;
    return [&provisioner, stack = stack_, id = def.logical_id, type = def.type, properties = std::move(properties)] {
      Provisioned p;
      p.made = provisioner.Create(stack, id, type, properties, p.made_id);
      return p;
    };
  }

  // Records how provisioning `logical_id` ended; false when it failed. A resource made while
  // another failed (`cancelled`) counts as failed too, as CloudFormation cancels it, and the
  // rollback deletes it.
  Result<bool> FinishCreate(const std::string& logical_id, Provisioned&& p, bool cancelled) {
    StackResource& r = *stack_.FindResource(logical_id);
    r.updated = Now();
    if (!p.made.ok() || cancelled) {
      r.physical_id = p.made_id;
      if (p.made.ok()) {  // what its delete needs
        r.physical_id = p.made->physical_id;
        r.attributes = p.made->attributes;
      }
      r.status = "CREATE_FAILED";
      r.status_reason = p.made.ok() ? "Resource creation cancelled" : p.made.status().message();
      ResourceEvent(r);
      RETURN_IF_ERROR(Save());
      return false;
    }
    r.physical_id = p.made->physical_id;
    r.ref = p.made->ref.is_null() ? json::value(json::string(p.made->physical_id)) : p.made->ref;
    r.attributes = p.made->attributes;
    r.status_reason = "Resource creation Initiated";
    ResourceEvent(r);
    r.status = "CREATE_COMPLETE";
    r.status_reason.clear();
    ResourceEvent(r);
    RETURN_IF_ERROR(Save());
    return true;
  }

  // Makes one resource on this thread (added to the stack's list); false when it failed.
  Result<bool> CreateResource(const cfn::ResourceDefinition& def, const cfn::Scope& scope, std::string change) {
    ASSIGN_OR_RETURN(auto props, BeginCreate(def, scope, std::move(change)));
    if (!props) return false;
    return FinishCreate(def.logical_id, ProvisionStep(def, std::move(*props))(), false);
  }

  // Starts deleting `r`: false when there is nothing for its provider to do (already gone,
  // kept by DeletionPolicy Retain, or never made), true when the delete must run.
  Result<bool> BeginDelete(StackResource& r, bool honour_retain) {
    if (r.status == "DELETE_COMPLETE" || r.status == "DELETE_SKIPPED") return false;
    if (honour_retain && r.deletion_policy == "Retain") {
      r.status = "DELETE_SKIPPED";
      r.status_reason.clear();
      ResourceEvent(r);
      RETURN_IF_ERROR(Save());
      return false;
    }
    r.status = "DELETE_IN_PROGRESS";
    r.status_reason.clear();
    r.updated = Now();
    ResourceEvent(r);
    RETURN_IF_ERROR(Save());
    if (!r.physical_id.empty()) return true;
    RETURN_IF_ERROR(FinishDelete(r, Status::OK()).status());
    return false;
  }

  // Records how deleting `r` ended; false when it could not be deleted.
  Result<bool> FinishDelete(StackResource& r, const Status& deleted) {
    r.updated = Now();
    r.status = deleted.ok() ? "DELETE_COMPLETE" : "DELETE_FAILED";
    r.status_reason = deleted.ok() ? "" : deleted.message();
    ResourceEvent(r);
    RETURN_IF_ERROR(Save());
    return deleted.ok();
  }

  // Deletes one resource on this thread; false when it could not be deleted.
  Result<bool> DeleteResource(StackResource& r, bool honour_retain) {
    ASSIGN_OR_RETURN(bool needed, BeginDelete(r, honour_retain));
    if (!needed) return r.status != "DELETE_FAILED";
    return FinishDelete(r, deps_.provisioner.Delete(stack_, r));
  }

  // For each of the stack's resources (by index), the ones that must be gone before it: those
  // depending on it in the stack's template. Resources the template does not name (an update
  // interrupted between templates) and a replaced resource beside its replacement keep the
  // list's order, newest first. Orders along a creation order (each resource after what it
  // depends on, list order otherwise), so the waits cannot form a cycle.
  std::vector<std::vector<size_t>> DeletionWaits() const {
    const auto& rs = stack_.resources;
    const size_t n = rs.size();
    std::map<std::string, std::set<std::string>> deps;
    if (auto t = Parse(); t.ok()) deps = cfn::Dependencies(*t);
    auto known = [&](size_t i) { return deps.contains(rs[i].logical_id); };
    auto depends = [&](size_t a, size_t b) {  // whether rs[a] depends on rs[b]
      return known(a) && deps.at(rs[a].logical_id).contains(rs[b].logical_id);
    };
    std::vector<size_t> order;
    std::vector<bool> placed(n, false);
    while (order.size() < n) {
      size_t pick = n;
      for (size_t i = 0; i < n && pick == n; ++i) {
        if (placed[i]) continue;
        bool ready = true;
        for (size_t j = 0; j < n && ready; ++j) ready = placed[j] || j == i || !depends(i, j);
        if (ready) pick = i;
      }
      if (pick == n) pick = static_cast<size_t>(std::find(placed.begin(), placed.end(), false) - placed.begin());
      placed[pick] = true;
      order.push_back(pick);
    }
    std::vector<std::vector<size_t>> waits(n);
    for (size_t p = 0; p < n; ++p) {
      for (size_t q = p + 1; q < n; ++q) {
        size_t a = order[p], b = order[q];
        if (!known(a) || !known(b) || rs[a].logical_id == rs[b].logical_id || depends(b, a)) waits[a].push_back(b);
      }
    }
    return waits;
  }

  // Deletes the stack's resources as creation makes them: each once every resource depending
  // on it is gone, independent ones at once. A failure does not stop the others; what the failed
  // resource depends on is left, as CloudFormation leaves it. Answers what failed, in the
  // order it failed.
  Result<std::vector<std::string>> DeleteAll(bool honour_retain) {
    enum State { kWaiting, kRunning, kGone, kFailed };
    const auto waits = DeletionWaits();
    std::vector<State> state(stack_.resources.size(), kWaiting);
    std::vector<std::string> failed;
    ParallelSteps<Status> steps(std::max<size_t>(1, deps_.max_parallel_resources));
    ResourceProvisioner& provisioner = deps_.provisioner;
    while (true) {
      for (bool progress = true; progress;) {
        progress = false;
        for (size_t i = state.size(); i-- > 0 && steps.HasRoom();) {
          if (state[i] != kWaiting) continue;
          bool ready = true;
          for (size_t w : waits[i]) ready = ready && state[w] == kGone;
          if (!ready) continue;
          StackResource& r = stack_.resources[i];
          ASSIGN_OR_RETURN(bool needed, BeginDelete(r, honour_retain));
          if (!needed) {
            state[i] = r.status == "DELETE_FAILED" ? kFailed : kGone;
            if (state[i] == kFailed) failed.push_back(r.logical_id);
            progress = true;
            continue;
          }
          state[i] = kRunning;
          steps.Start(std::to_string(i), [&provisioner, stack = stack_, resource = r] {
            return provisioner.Delete(stack, resource);
          });
        }
      }
      if (steps.running() == 0) break;
      auto next = steps.Next();
      size_t i = std::stoul(next.first);
      ASSIGN_OR_RETURN(bool deleted, FinishDelete(stack_.resources[i], next.second));
      state[i] = deleted ? kGone : kFailed;
      if (!deleted) failed.push_back(stack_.resources[i].logical_id);
    }
    return failed;
  }

  // Resources are made as soon as what they depend on is: independent ones at once, so the
  // stack takes about as long as its longest chain of dependencies.
  Status Create() {
    auto t = Parse();
    if (!t.ok()) return FailCreate({}, t.status().message());
    stack_.imports.clear();
    auto scope = MakeScope(*t, stack_.parameters);
    if (!scope.ok()) return FailCreate({}, scope.status().message());
    ASSIGN_OR_RETURN(auto order, cfn::CreationOrder(*t));
    auto dependencies = cfn::Dependencies(*t);
    std::set<std::string> done;  // made, or not wanted under the conditions
    for (const auto& id : order) {
      StackResource* existing = stack_.FindResource(id);
      if (!Wanted(*t->FindResource(id), *scope) || (existing && existing->status == "CREATE_COMPLETE")) {
        done.insert(id);
      } else if (existing) {
        // The server stopped while it was being made.
        existing->status = "CREATE_FAILED";
        existing->status_reason = "Resource creation was interrupted: the wharf server stopped while creating it";
        ResourceEvent(*existing);
        return FailCreate({id}, "");
      }
    }
    std::set<std::string> started;
    std::vector<std::string> failed;
    ParallelSteps<Provisioned> steps(std::max<size_t>(1, deps_.max_parallel_resources));
    while (true) {
      for (const auto& id : order) {
        if (!failed.empty() || !steps.HasRoom()) break;
        if (done.contains(id) || started.contains(id)) continue;
        bool ready = true;
        for (const auto& d : dependencies[id]) ready = ready && done.contains(d);
        if (!ready) continue;
        started.insert(id);
        const cfn::ResourceDefinition& def = *t->FindResource(id);
        ASSIGN_OR_RETURN(auto props, BeginCreate(def, *scope, ""));
        if (!props) {
          failed.push_back(id);
          break;
        }
        steps.Start(id, ProvisionStep(def, std::move(*props)));
      }
      if (steps.running() == 0) break;
      auto next = steps.Next();
      ASSIGN_OR_RETURN(bool made, FinishCreate(next.first, std::move(next.second), !failed.empty()));
      if (made) {
        done.insert(next.first);
      } else {
        failed.push_back(next.first);
      }
    }
    if (!failed.empty()) return FailCreate(failed, "");
    if (Status s = ComputeOutputs(*t, *scope); !s.ok()) return FailCreate({}, s.message());
    SetStatus("CREATE_COMPLETE");
    return Save();
  }

  Status FailCreate(const std::vector<std::string>& failed, const std::string& message) {
    std::string reason = failed.empty() ? message : "The following resource(s) failed to create: [" + Names(failed) + "]. ";
    if (stack_.disable_rollback) {
      SetStatus("CREATE_FAILED", reason);
      return Save();
    }
    SetStatus("ROLLBACK_IN_PROGRESS", reason + (failed.empty() ? "" : "Rollback requested by user."));
    RETURN_IF_ERROR(Save());
    return Rollback();
  }

  Status Rollback() {
    ASSIGN_OR_RETURN(auto failed, DeleteAll(/*honour_retain=*/true));
    bool all = failed.empty();
    // The stack keeps saying why it rolled back (its event does not repeat it).
    std::string why = stack_.status_reason;
    SetStatus(all ? "ROLLBACK_COMPLETE" : "ROLLBACK_FAILED");
    stack_.status_reason = why;
    return Save();
  }

  Status Delete() {
    ASSIGN_OR_RETURN(auto failed, DeleteAll(/*honour_retain=*/true));
    if (!failed.empty()) {
      SetStatus("DELETE_FAILED", "The following resource(s) failed to delete: [" + Names(failed) + "]. ");
      return Save();
    }
    stack_.deleted = Now();
    SetStatus("DELETE_COMPLETE");
    return Save();
  }

  // ---- updates ----

  // The stack policy an update is checked against (none: every action allowed).
  std::optional<cfn::StackPolicy> UpdatePolicy() const {
    const std::string& body = stack_.update_policy.empty() ? stack_.stack_policy : stack_.update_policy;
    if (body.empty()) return std::nullopt;
    auto policy = cfn::StackPolicy::Parse(body);
    // The API checked it when it was set; one that no longer parses protects everything.
    if (!policy.ok()) {
      return *cfn::StackPolicy::Parse(R"({"Statement":[{"Effect":"Deny","Action":"Update:*","Principal":"*","Resource":"*"}]})");
    }
    return std::move(*policy);
  }

  // Whether the policy lets the update take `action` on `r`; if not, `r` is UPDATE_FAILED with why.
  bool PolicyAllows(const std::optional<cfn::StackPolicy>& policy, std::string_view action, StackResource& r) {
    if (!policy) return true;
    auto denied = policy->Denied(action, r.logical_id, r.type);
    if (!denied) return true;
    r.status = "UPDATE_FAILED";
    r.status_reason = *denied;
    ResourceEvent(r);
    return false;
  }

  Status Update() {
    auto t = Parse();
    if (!t.ok()) return FailUpdate({}, t.status().message());
    const auto policy = UpdatePolicy();
    stack_.imports.clear();
    auto scope = MakeScope(*t, stack_.parameters);
    if (!scope.ok()) return FailUpdate({}, scope.status().message());
    ASSIGN_OR_RETURN(auto order, cfn::CreationOrder(*t));
    for (const auto& id : order) {
      const cfn::ResourceDefinition& def = *t->FindResource(id);
      if (!Wanted(def, *scope)) continue;
      StackResource* r = stack_.FindResource(id);
      if (r && !r->change.empty()) continue;  // done before a restart
      if (!r) {
        ASSIGN_OR_RETURN(bool made, CreateResource(def, *scope, "Add"));
        if (!made) return FailUpdate({id}, "");
        continue;
      }
      auto props = cfn::ResolveObject(def.properties, *scope);
      if (!props.ok()) {
        r->status = "UPDATE_FAILED";
        r->status_reason = props.status().message();
        ResourceEvent(*r);
        return FailUpdate({id}, "");
      }
      if (r->type == def.type && *props == r->properties) continue;
      if (!PolicyAllows(policy, "Update:Modify", *r)) return FailUpdate({id}, "");
      r->previous = r->ToJson();
      r->status = "UPDATE_IN_PROGRESS";
      r->status_reason.clear();
      r->change = "Modify";
      ResourceEvent(*r, &*props);
      RETURN_IF_ERROR(Save());
      Result<ProvisionedResource> changed =
          r->type == def.type ? deps_.provisioner.Update(stack_, *r, *props)
                              : Result<ProvisionedResource>(ReplacementNeeded("the resource type changed"));
      if (!changed.ok() && NeedsReplacement(changed.status())) {
        if (!PolicyAllows(policy, "Update:Replace", *r)) return FailUpdate({id}, "");
        r->status_reason = "Requested update requires the creation of a new physical resource; hence creating one.";
        ResourceEvent(*r);
        r->retired = true;
        r->change = "Replaced";
        ASSIGN_OR_RETURN(bool made, CreateResource(def, *scope, "Replacement"));
        StackResource& fresh = stack_.resources.back();
        if (!made) return FailUpdate({id}, "");
        fresh.status = "UPDATE_COMPLETE";
        ResourceEvent(fresh);
        RETURN_IF_ERROR(Save());
        continue;
      }
      if (!changed.ok()) {
        r->status = "UPDATE_FAILED";
        r->status_reason = changed.status().message();
        ResourceEvent(*r);
        return FailUpdate({id}, "");
      }
      r->properties = *props;
      r->ref = changed->ref.is_null() ? json::value(json::string(changed->physical_id)) : changed->ref;
      r->physical_id = changed->physical_id;
      r->attributes = changed->attributes;
      r->status = "UPDATE_COMPLETE";
      r->updated = Now();
      ResourceEvent(*r);
      RETURN_IF_ERROR(Save());
    }
    // What the new template no longer has goes in the cleanup.
    for (auto& r : stack_.resources) {
      const cfn::ResourceDefinition* def = t->FindResource(r.logical_id);
      if (!r.retired && (!def || !Wanted(*def, *scope))) {
        if (!PolicyAllows(policy, "Update:Delete", r)) return FailUpdate({r.logical_id}, "");
        r.retired = true;
        r.change = "Remove";
      }
    }
    if (Status s = ComputeOutputs(*t, *scope); !s.ok()) return FailUpdate({}, s.message());
    SetStatus("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS");
    RETURN_IF_ERROR(Save());
    return Cleanup();
  }

  // Deletes what an update retired (replaced or removed resources), newest first; a
  // resource the new template removed keeps to its DeletionPolicy.
  Status Cleanup() { return FinishUpdate("UPDATE_COMPLETE", true); }

  Status FailUpdate(const std::vector<std::string>& failed, const std::string& message) {
    SetStatus("UPDATE_ROLLBACK_IN_PROGRESS",
              failed.empty() ? message : "The following resource(s) failed to update: [" + Names(failed) + "]. ");
    RETURN_IF_ERROR(Save());
    return UpdateRollback();
  }

  // Back to the previous template: modified resources changed back, replaced ones restored.
  Status UpdateRollback() {
    for (auto it = stack_.resources.rbegin(); it != stack_.resources.rend(); ++it) {
      StackResource& r = *it;
      if (r.change == "Modify" && !r.retired && !r.previous.empty()) {
        StackResource before = StackResource::FromJson(r.previous);
        r.status = "UPDATE_IN_PROGRESS";
        ResourceEvent(r);
        auto restored = deps_.provisioner.Update(stack_, r, before.properties);
        before.status = restored.ok() ? "UPDATE_COMPLETE" : "UPDATE_FAILED";
        before.status_reason = restored.ok() ? "" : restored.status().message();
        before.previous = {};
        r = before;
        ResourceEvent(r);
      } else if (r.change == "Replaced" || r.change == "Remove") {
        r.retired = false;
        r.change.clear();
        if (r.status == "UPDATE_IN_PROGRESS") r.status = "UPDATE_COMPLETE";
      } else if (r.change == "Add" || r.change == "Replacement") {
        r.retired = true;  // deleted in the cleanup below
      } else if (r.change.empty() && r.status == "UPDATE_FAILED") {
        r.status = "UPDATE_COMPLETE";  // refused by the stack policy: never changed
        r.status_reason.clear();
        ResourceEvent(r);
      }
    }
    stack_.template_body = stack_.previous_template_body;
    stack_.parameters = stack_.previous_parameters;
    if (auto t = Parse(); t.ok()) {
      if (auto scope = MakeScope(*t, stack_.parameters); scope.ok()) (void)ComputeOutputs(*t, *scope);
    }
    SetStatus("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS");
    RETURN_IF_ERROR(Save());
    return UpdateRollbackCleanup();
  }

  // Deletes what the rolled-back update made (added resources, replacements), newest first.
  Status UpdateRollbackCleanup() { return FinishUpdate("UPDATE_ROLLBACK_COMPLETE", false); }

  // The last step of an update, kept or rolled back: deletes the retired resources (those
  // the update removed honour their DeletionPolicy when `honour_retain_of_removed`), forgets
  // what the update kept to go back with, and ends at `final_status`.
  Status FinishUpdate(std::string final_status, bool honour_retain_of_removed) {
    for (auto it = stack_.resources.rbegin(); it != stack_.resources.rend(); ++it) {
      if (it->retired) (void)DeleteResource(*it, honour_retain_of_removed && it->change == "Remove");
    }
    std::erase_if(stack_.resources, [](const StackResource& r) { return r.retired; });
    for (auto& r : stack_.resources) {
      r.change.clear();
      r.previous = {};
    }
    stack_.previous_template_body.clear();
    stack_.previous_parameters.clear();
    stack_.update_policy.clear();
    SetStatus(std::move(final_status));
    return Save();
  }

  const StackEngineDeps& deps_;
  const std::atomic<bool>& abandon_;
  Stack stack_;
  int64_t revision_;
  std::vector<std::pair<std::string, std::string>> events_;  // written with the next Save
};

}  // namespace

bool NeedsReplacement(const Status& status) {
  return status.IsFailedPrecondition() && status.message().starts_with(kReplacementPrefix);
}

Status ReplacementNeeded(std::string why) {
  return Status::FailedPrecondition(std::string(kReplacementPrefix) + why);
}

StackEngine::StackEngine(StackEngineDeps deps) : deps_(std::move(deps)) {}

cfn::Scope StackEngine::PseudoParameters(const std::string& stack_name, const std::string& stack_id) const {
  return controlplane::PseudoParameters(deps_, stack_name, stack_id);
}

StackEngine::~StackEngine() {
  std::vector<std::thread> threads;
  {
    MutexLock lock(mu_);
    stopping_ = true;
    threads.swap(threads_);
  }
  abandon_ = true;
  deps_.provisioner.Stop();
  for (auto& t : threads) t.join();
}

Status StackEngine::RunNow(const std::string& name) {
  ASSIGN_OR_RETURN(auto kv, deps_.store.Get(model::keys::StackKey(name)));
  if (!kv) return Status::OK();  // deleted
  ASSIGN_OR_RETURN(auto record, ParseObject(kv->value));
  ASSIGN_OR_RETURN(Stack stack, Stack::FromJson(record));
  if (!stack.in_progress()) return Status::OK();
  return Operation(deps_, abandon_, std::move(stack), kv->mod_revision).Run();
}

void StackEngine::Run(const std::string& name) {
  MutexLock lock(mu_);
  if (stopping_) return;
  if (!running_.insert(name).second) {
    again_.insert(name);
    return;
  }
  threads_.emplace_back([this, name] {
    Status done = RunNow(name);
    if (!done.ok()) LOG_ERROR("msg=\"stack operation failed\" stack={} error=\"{}\"", name, done.ToString());
    Finished(name);
  });
}

void StackEngine::Finished(const std::string& name) {
  bool again = false;
  {
    MutexLock lock(mu_);
    running_.erase(name);
    again = again_.erase(name) > 0 && !stopping_;
  }
  if (again) Run(name);
}

Status StackEngine::Resume() {
  ASSIGN_OR_RETURN(auto page, deps_.store.List(model::keys::kStacks, "", 0));
  for (const auto& kv : page.items) {
    ASSIGN_OR_RETURN(auto record, ParseObject(kv.value));
    ASSIGN_OR_RETURN(Stack stack, Stack::FromJson(record));
    if (stack.in_progress()) Run(stack.name);
  }
  return Status::OK();
}

}  // namespace wharf::controlplane
