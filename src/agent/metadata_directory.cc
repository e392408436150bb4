#include "agent/metadata_directory.h"

#include <ctime>

#include "agent/execution_role_sessions.h"
#include "model/json.h"

namespace wharf::agent {
namespace json = boost::json;


void MetadataDirectory::AddCredentials(const std::string& id, const std::string& task_arn,
                                       std::set<std::string> addresses) {
  MutexLock lock(mu_);
  Credentials& c = credentials_[id];
  if (c.task_arn != task_arn) c = Credentials{task_arn, {}, {}, {}};
  c.addresses = std::move(addresses);
}

void MetadataDirectory::RemoveCredentials(const std::string& id) {
  MutexLock lock(mu_);
  credentials_.erase(id);
}

Result<json::object> MetadataDirectory::RoleCredentials(const std::string& id, const std::string& source_address) {
  {
    MutexLock lock(mu_);
    auto it = credentials_.find(id);
    // An id is only good from its own task: another task's containers are refused as the
    // ECS agent refuses an unknown id.
    if (it == credentials_.end() || !it->second.addresses.count(source_address)) {
      return Status::NotFound("credentials id " + id);
    }
  }
  return FreshCredentials(id);
}

Result<std::string> MetadataDirectory::CredentialsIdOf(const std::string& task_arn) const {
  MutexLock lock(mu_);
  for (const auto& [id, c] : credentials_) {
    if (c.task_arn == task_arn) return id;
  }
  return Status::NotFound("no task role credentials for " + task_arn);
}

Result<json::object> MetadataDirectory::FreshCredentials(const std::string& id) {
  std::string task_arn;
  {
    MutexLock lock(mu_);
    auto it = credentials_.find(id);
    if (it == credentials_.end()) return Status::NotFound("credentials id " + id);
    const Credentials& c = it->second;
    if (!c.answer.empty() && c.expiration - clock_.Now() > kCredentialsRefresh) return c.answer;
    task_arn = c.task_arn;
  }
  if (!fetch_credentials_) return Status::Unavailable("this node cannot fetch task credentials");
  // Outside the lock: other ids' requests do not wait on the server.
  ASSIGN_OR_RETURN(json::object answer, fetch_credentials_(task_arn));
  auto expiration = ParseCredentialsExpiration(GetString(answer, "Expiration"));
  if (!expiration) return Status::Internal("the server's credentials have no Expiration");
  MutexLock lock(mu_);
  auto it = credentials_.find(id);
  if (it != credentials_.end() && it->second.task_arn == task_arn) {
    it->second.answer = answer;
    it->second.expiration = *expiration;
  }
  return answer;
}

void TaskDocuments::SetTask(const json::object& task, const json::object& task_definition) {
  MutexLock lock(mu_);
  task_ = task;
  task_definition_ = task_definition;
}

void TaskDocuments::SetContainer(ContainerFacts facts) {
  MutexLock lock(mu_);
  for (auto& c : runtime_.containers) {
    if (c.name == facts.name) {
      c = std::move(facts);
      return;
    }
  }
  runtime_.containers.push_back(std::move(facts));
}

void TaskDocuments::SetEni(const std::string& ip, const std::string& subnet_cidr) {
  MutexLock lock(mu_);
  runtime_.eni_ip = ip;
  runtime_.subnet_cidr = subnet_cidr;
}

Result<json::object> TaskDocuments::Container(const std::string& name) const {
  MutexLock lock(mu_);
  return ContainerMetadata(task_, task_definition_, runtime_, name);
}

json::object TaskDocuments::Task() const {
  MutexLock lock(mu_);
  return TaskMetadata(task_, task_definition_, runtime_);
}

std::vector<ContainerFacts> TaskDocuments::Containers() const {
  MutexLock lock(mu_);
  return runtime_.containers;
}

std::string TaskDocuments::task_id() const {
  MutexLock lock(mu_);
  auto it = task_.find("taskArn");
  if (it == task_.end() || !it->value().is_string()) return "";
  std::string arn(it->value().get_string());
  return arn.substr(arn.rfind('/') + 1);
}

void MetadataDirectory::Add(const std::string& token, std::shared_ptr<TaskDocuments> task,
                            const std::string& container) {
  MutexLock lock(mu_);
  entries_[token] = Entry{std::move(task), container};
}

void MetadataDirectory::Remove(const std::string& token) {
  MutexLock lock(mu_);
  entries_.erase(token);
}

Result<MetadataDirectory::Entry> MetadataDirectory::Find(const std::string& token) const {
  MutexLock lock(mu_);
  auto it = entries_.find(token);
  if (it == entries_.end()) return Status::NotFound("no container with this metadata token");
  return it->second;
}

Result<json::object> MetadataDirectory::Container(const std::string& token) {
  ASSIGN_OR_RETURN(Entry e, Find(token));
  return e.task->Container(e.container);
}

Result<json::object> MetadataDirectory::Task(const std::string& token) {
  ASSIGN_OR_RETURN(Entry e, Find(token));
  return e.task->Task();
}

Result<json::object> MetadataDirectory::ContainerStats(const std::string& task_id, const ContainerFacts& facts) {
  // The runner puts each container in the cgroup /wharf/<task id>/<name>.
  ASSIGN_OR_RETURN(CgroupSample now, ReadCgroupV1(StatsPaths{}, "/wharf/" + task_id + "/" + facts.name, clock_));
  std::optional<CgroupSample> previous;
  {
    MutexLock lock(mu_);
    auto it = previous_.find(facts.runtime_id);
    if (it != previous_.end()) previous = it->second;
    previous_[facts.runtime_id] = now;
  }
  return DockerStats(now, previous, facts.name, facts.runtime_id);
}

Result<json::object> MetadataDirectory::Stats(const std::string& token, bool whole_task) {
  ASSIGN_OR_RETURN(Entry e, Find(token));
  std::string task_id = e.task->task_id();
  json::object all;
  for (const auto& facts : e.task->Containers()) {
    if (!whole_task && facts.name != e.container) continue;
    auto stats = ContainerStats(task_id, facts);
    if (!whole_task) return stats;
    all[facts.runtime_id] = stats.ok() ? json::value(std::move(*stats)) : json::value(nullptr);
  }
  if (!whole_task) return Status::NotFound("no such container");
  return all;
}

}  // namespace wharf::agent
