// MetadataDirectory: the node's MetadataSource. Each task runner publishes what the metadata
// endpoint shows of its task in a TaskDocuments object and registers one token per
// container; the endpoint's threads read from there and never wait on a runner.
//
// A task with a task role also registers its credentials id with its containers' addresses.
// Its credentials come from the server (the fetcher: ServerClient::TaskRoleCredentials) on
// the first request and are kept until less than kCredentialsRefresh of their life is left,
// then fetched again, so what a container is handed always has that long to run; a request
// waits on the server only then.
//
// Thread-safety: everything here may be called from any thread.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>

#include "agent/container_stats.h"
#include "agent/execution_role_sessions.h"
#include "agent/metadata_server.h"
#include "agent/task_metadata.h"
#include "base/clock.h"
#include "base/mutex.h"

namespace wharf::agent {

// What one task shows: its record, its definition and what the node knows of its containers.
class TaskDocuments {
 public:
  void SetTask(const boost::json::object& task, const boost::json::object& task_definition);
  void SetContainer(ContainerFacts facts);  // replaces the container of the same name
  // awsvpc: the task's address and its subnet, as the server assigned them.
  void SetEni(const std::string& ip, const std::string& subnet_cidr);

  Result<boost::json::object> Container(const std::string& name) const;
  boost::json::object Task() const;
  std::vector<ContainerFacts> Containers() const;
  std::string task_id() const;

 private:
  // Protected by mu_.
  mutable Mutex mu_;
  boost::json::object task_ GUARDED_BY(mu_);
  boost::json::object task_definition_ GUARDED_BY(mu_);
  TaskRuntime runtime_ GUARDED_BY(mu_);
};

// A task role's credentials, as ECS's endpoint answers them, for the task with this ARN.
using RoleCredentialsFetcher = std::function<Result<boost::json::object>(const std::string& task_arn)>;

// An ECS operation ("GetTaskProtection") signed with a task role's credentials (as the
// fetcher answers them); an AWS error is a Status whose message starts with its code.
using TaskRoleEcsCall = std::function<Result<boost::json::object>(
    const boost::json::object& credentials, std::string_view operation, const boost::json::object& input)>;


class MetadataDirectory final : public MetadataSource {
 public:
  explicit MetadataDirectory(Clock& clock, RoleCredentialsFetcher fetch_credentials = {},
                             TaskRoleEcsCall call_ecs = {})
      : clock_(clock), fetch_credentials_(std::move(fetch_credentials)), call_ecs_(std::move(call_ecs)) {}

  void Add(const std::string& token, std::shared_ptr<TaskDocuments> task, const std::string& container);
  void Remove(const std::string& token);
  // Requests from `addresses` (the task's containers') for credentials id `id` get the task
  // role's credentials of `task_arn`. Adding an id again replaces its addresses.
  void AddCredentials(const std::string& id, const std::string& task_arn, std::set<std::string> addresses);
  void RemoveCredentials(const std::string& id);

  Result<boost::json::object> RoleCredentials(const std::string& id, const std::string& source_address) override;

  Result<boost::json::object> Container(const std::string& token) override;
  Result<boost::json::object> Task(const std::string& token) override;
  Result<boost::json::object> Stats(const std::string& token, bool whole_task) override;
  // The ECS agent's task protection endpoint (task_protection_endpoint.cc): the task role's
  // credentials of the token's task sign Get/UpdateTaskProtection on that task alone, so a
  // container can protect only its own task, and only as far as its role allows.
  MetadataAnswer TaskProtection(const std::string& token, std::string_view method, std::string_view body) override;

 private:
  struct Entry {
    std::shared_ptr<TaskDocuments> task;
    std::string container;
  };
  Result<Entry> Find(const std::string& token) const EXCLUDES(mu_);
  // The credentials of id `id`, from the cache or fetched again when near their expiry.
  Result<boost::json::object> FreshCredentials(const std::string& id) EXCLUDES(mu_);
  // The credentials id registered for a task; NotFound when it has no task role.
  Result<std::string> CredentialsIdOf(const std::string& task_arn) const EXCLUDES(mu_);
  // One container's stats, with the rates against its previous sample.
  Result<boost::json::object> ContainerStats(const std::string& task_id, const ContainerFacts& facts);

  struct Credentials {
    std::string task_arn;
    std::set<std::string> addresses;
    boost::json::object answer;  // the last fetched, or empty
    std::chrono::system_clock::time_point expiration;
  };

  // Constant after construction.
  Clock& clock_;
  const RoleCredentialsFetcher fetch_credentials_;
  const TaskRoleEcsCall call_ecs_;

  // Protected by mu_.
  mutable Mutex mu_;
  std::map<std::string, Entry> entries_ GUARDED_BY(mu_);
  std::map<std::string, Credentials> credentials_ GUARDED_BY(mu_);  // by credentials id
  std::map<std::string, CgroupSample> previous_ GUARDED_BY(mu_);  // by runtime id
};

}  // namespace wharf::agent
