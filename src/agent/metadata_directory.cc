#include "agent/metadata_directory.h"

namespace wharf::agent {
namespace json = boost::json;

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
