// LogShipper: the awslogs log driver. Each container's monitor (wharf-monitor) writes its
// stdout and stderr to a file in the CRI "k8s-file" format, one line per record:
//   <RFC3339Nano time> stdout|stderr F|P <text>
// (P: a partial line continued by the next record). The shipper follows these files and sends
// their lines to CloudWatch Logs with PutLogEvents, each with the time the monitor read it.
//
// Exactly once across agent restarts: what was acknowledged is recorded in the container's
// `<log>.shipped` file as {offset}. Before a batch is sent, the file also records the batch
// {pendingEnd, pendingLast: {timestamp, message}}; after the acknowledgement, offset moves to
// pendingEnd. A restarted shipper that finds a pending batch asks the stream for its newest
// event: if it is the batch's last event, the batch landed and is skipped, else it is sent
// again. Nothing acknowledged is sent twice, nothing written is lost while the file exists.
//
// Lifecycle: Start() runs one thread for the node; Add() a container (after its monitor
// started), Finish() when the container stopped: the rest of its file is sent and it is
// dropped (the caller waits, so the task's files outlive the shipping). Stop() ends the thread;
// unsent lines stay in their files for the next agent.
//
// Thread-safety: Add, Finish and Stop may be called from any thread.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "agent/execution_role_sessions.h"
#include "agent/server_client.h"
#include "base/mutex.h"

namespace wharf::agent {

struct LogDestination {
  std::string group;
  std::string stream;
  bool create_group = false;  // awslogs-create-group "true"
  std::string region;         // awslogs-region: where the group is (empty: the node's region)
  // The task whose execution role the calls are signed with (FARGATE's awslogs driver runs
  // as the task's execution role); empty: the node's own credentials (the EC2 launch type's
  // driver runs as the container instance).
  std::string execution_task_arn;
};

// The awslogs destination of a container, or nullopt when it does not use awslogs.
// InvalidArgument when the options are incomplete (awslogs-group is required; the stream
// is "<awslogs-stream-prefix>/<container name>/<task id>", or the task id and container name
// without a prefix).
Result<std::optional<LogDestination>> AwslogsDestination(const boost::json::object& container_definition,
                                                         const std::string& task_id);

// One record of a k8s-file log: time in milliseconds since the epoch, the text, and whether
// the line goes on in the next record. False when the line is not a record.
struct LogRecord {
  int64_t timestamp_ms = 0;
  std::string text;
  bool partial = false;
};
bool ParseLogRecord(std::string_view line, LogRecord* record);

class LogShipper {
 public:
  // `sessions`: the tasks' execution role sessions (null: every call is the node's).
  explicit LogShipper(ServerClient& server, ExecutionRoleSessions* sessions = nullptr)
      : server_(server), sessions_(sessions) {}
  ~LogShipper();

  void Start();
  void Add(const std::string& log_path, const LogDestination& destination);
  // Sends what is left of the file and forgets it; returns when done (or after `timeout`).
  void Finish(const std::string& log_path, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void Stop();

  // Makes the destination's group (when awslogs-create-group asks) and stream, as the
  // destination's caller; what the server refuses is the error (AccessDeniedException: ...).
  // An existing group or stream is fine.
  Status CreateStream(const LogDestination& destination);

 private:
  // A Logs call as the destination's caller.
  Result<boost::json::object> Call(const LogDestination& d, std::string_view operation, const boost::json::object& input);
  struct Follower;
  void Loop();
  // Sends what is new in one file; false when the server could not take it (retry later).
  // `finishing`: the container has stopped, so a last line left partial (no newline before
  // the end) is complete as it is, and is sent (as Docker's awslogs driver does).
  bool Ship(Follower& f, bool finishing);
  Status Prepare(Follower& f);

  // Constant after construction.
  ServerClient& server_;
  ExecutionRoleSessions* const sessions_;

  std::thread thread_;  // runs Loop(): made by Start(), joined by Stop()

  // Protected by mu_.
  Mutex mu_;
  CondVar cv_;  // signalled on a new follower, a finishing or finished one, and Stop()
  std::map<std::string, std::shared_ptr<Follower>> followers_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
};

}  // namespace wharf::agent
