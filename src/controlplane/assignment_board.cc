#include "controlplane/assignment_board.h"

#include <set>

#include "base/logging.h"
#include "model/json.h"
#include "model/keys.h"
#include "model/task.h"

namespace wharf::controlplane {
namespace json = boost::json;

namespace {
constexpr std::string_view kTasksPrefix = model::keys::kTasks;
}

Result<std::unique_ptr<AssignmentBoard>> AssignmentBoard::Start(store::Store& store) {
  std::unique_ptr<AssignmentBoard> board(new AssignmentBoard(store));
  ASSIGN_OR_RETURN(int64_t now, store.CurrentRevision());
  AssignmentBoard* raw = board.get();
  ASSIGN_OR_RETURN(board->watch_, store.WatchPrefix(kTasksPrefix, now, [raw](const std::vector<store::Event>& events) {
                     raw->OnChanges(events);
                   }));
  board->timer_ = std::thread([raw] { raw->TimerLoop(); });
  return board;
}

AssignmentBoard::~AssignmentBoard() {
  watch_.reset();
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (timer_.joinable()) timer_.join();
}

Result<std::pair<model::TaskAssignments, int64_t>> AssignmentBoard::Snapshot(const std::string& node) {
  ASSIGN_OR_RETURN(store::Page page, store_.List(kTasksPrefix, "", 0));
  model::TaskAssignments answer;
  answer.revision = page.revision;
  int64_t newest = 0;
  for (const auto& kv : page.items) {
    ASSIGN_OR_RETURN(json::object value, ParseObject(kv.value));
    model::TaskRecord task(value);
    if (task.node() != node) continue;
    newest = std::max(newest, kv.mod_revision);  // a task leaving the list is a change too
    if (task.stopped() && task.desired_status() == "STOPPED") continue;
    answer.assignments.push_back(model::AssignmentOf(task));
  }
  return std::make_pair(std::move(answer), newest);
}

void AssignmentBoard::Poll(const std::string& node, int64_t after, std::chrono::milliseconds wait, Answer answer) {
  auto now = std::chrono::steady_clock::now();
  wait = std::min(wait, std::chrono::milliseconds(30000));
  {
    MutexLock lock(mu_);
    last_seen_[node] = now;
  }
  auto snapshot = Snapshot(node);
  if (!snapshot.ok()) return answer(snapshot.status());
  // A change since `after` (or a first call): answer now; otherwise at the next change.
  if (after == 0 || snapshot->second > after || wait.count() == 0) return answer(std::move(snapshot->first));
  MutexLock lock(mu_);
  waiters_.push_back(Waiter{node, after, now + wait, std::move(answer)});
  cv_.SignalAll();
}

std::optional<std::chrono::steady_clock::time_point> AssignmentBoard::LastSeen(const std::string& node) const {
  MutexLock lock(mu_);
  auto it = last_seen_.find(node);
  if (it == last_seen_.end()) return std::nullopt;
  return it->second;
}

void AssignmentBoard::OnChanges(const std::vector<store::Event>& events) {
  std::set<std::string> nodes;
  for (const auto& e : events) {
    auto task = ParseObject(e.kv.value);
    if (task.ok()) nodes.insert(model::TaskRecord(*task).node());
  }
  MutexLock lock(mu_);
  for (auto& w : waiters_) {
    // Any change to one of its tasks answers the waiter (its deadline becomes now).
    if (nodes.count(w.node)) w.deadline = std::chrono::steady_clock::time_point::min();
  }
  cv_.SignalAll();
}

void AssignmentBoard::TimerLoop() {
  MutexLock lock(mu_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    std::vector<Waiter> due;
    auto next = now + std::chrono::seconds(1);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->deadline <= now) {
        due.push_back(std::move(*it));
        it = waiters_.erase(it);
      } else {
        next = std::min(next, it->deadline);
        ++it;
      }
    }
    if (due.empty()) {
      cv_.WaitUntil(mu_, next);
      continue;
    }
    lock.Unlock();
    for (auto& w : due) {
      auto snapshot = Snapshot(w.node);
      if (!snapshot.ok()) {
        w.answer(snapshot.status());
      } else {
        w.answer(std::move(snapshot->first));
      }
    }
    lock.Lock();
  }
  for (auto& w : waiters_) w.answer(Status::Unavailable("server stopping"));
  waiters_.clear();
}

}  // namespace wharf::controlplane
