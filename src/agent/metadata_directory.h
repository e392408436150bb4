// MetadataDirectory: the node's MetadataSource. Each task runner publishes what the metadata
// endpoint shows of its task in a TaskDocuments object and registers one token per
// container; the endpoint's threads read from there and never wait on a runner.
//
// Thread-safety: everything here may be called from any thread.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agent/container_stats.h"
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

class MetadataDirectory final : public MetadataSource {
 public:
  explicit MetadataDirectory(Clock& clock) : clock_(clock) {}

  void Add(const std::string& token, std::shared_ptr<TaskDocuments> task, const std::string& container);
  void Remove(const std::string& token);

  Result<boost::json::object> Container(const std::string& token) override;
  Result<boost::json::object> Task(const std::string& token) override;
  Result<boost::json::object> Stats(const std::string& token, bool whole_task) override;

 private:
  struct Entry {
    std::shared_ptr<TaskDocuments> task;
    std::string container;
  };
  Result<Entry> Find(const std::string& token) const EXCLUDES(mu_);
  // One container's stats, with the rates against its previous sample.
  Result<boost::json::object> ContainerStats(const std::string& task_id, const ContainerFacts& facts);

  // Constant after construction.
  Clock& clock_;

  // Protected by mu_.
  mutable Mutex mu_;
  std::map<std::string, Entry> entries_ GUARDED_BY(mu_);
  std::map<std::string, CgroupSample> previous_ GUARDED_BY(mu_);  // by runtime id
};

}  // namespace wharf::agent
