// TaskReports: what a task runner tells the server about its task (docs/AGENT.md 3): ECS's
// SubmitTaskStateChange, wharf's container health report and its task usage report. An I/O seam: ServerClient sends
// them over HTTP; a test records them.
//
// Errors: Unavailable when the server could not be reached or failed (worth retrying);
// anything else when it refused the report.
//
// Thread-safety: implementations may be called from every task runner's thread at once.
#pragma once

#include <boost/json/object.hpp>

#include "base/status.h"

namespace wharf::agent {

class TaskReports {
 public:
  virtual ~TaskReports() = default;
  // The SubmitTaskStateChange request: {cluster, task, status, reason, containers, ...}.
  virtual Status SubmitTaskStateChange(const boost::json::object& change) = 0;
  // POST /_wharf/agent/v1/health: {cluster, task, healthStatus, containers: [{containerName, healthStatus}]}.
  virtual Status SubmitTaskHealth(const boost::json::object& report) = 0;
  // POST /_wharf/agent/v1/usage: {cluster, task, cpuUtilization, memoryUtilization} (percent of
  // the task's cpu and memory, over the last usage interval), what AWS/ECS metrics are made of.
  virtual Status SubmitTaskUsage(const boost::json::object& report) { return Status::OK(); }
};

}  // namespace wharf::agent
