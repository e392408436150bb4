// Read-modify-write on the Store, retried when another writer got there first.
//
// Every writer of shared records runs the same optimistic loop: read, decide, commit with
// a compare on the revisions it read, and when a compare fails (another commit won the
// race) read again and decide again. This header is that loop, written once (client-go's
// retry.RetryOnConflict, etcd's STM). Three forms, most specific first:
//
//   Update(store, key, mutate)   one key: mutate changes, creates or deletes its value;
//   Update(store, mutate)        several keys, read and written through a Draft;
//   RetryOnConflict(attempt)     anything else: the attempt reads, builds and commits its
//                                own Txn and reports kConflict when the commit lost.
//
// Each runs at most kMaxCommitAttempts attempts and answers nullopt when all of them lost
// the race: the caller says so in its own words ("Too many concurrent updates; retry.").
// The answer type T is the caller's (an API Outcome, a Status, ...): failures of the store
// itself come back as Status, and nothing here knows about AWS errors.
//
// Terms:
//   mutate returns a Decision<T>: a plain T stops with that answer and writes nothing
//   (a not-found error, or the idempotent "it is already so"); store::Commit(answer)
//   commits what mutate changed, then answers `answer` -- or, when the commit lost the
//   race, runs mutate again on a fresh read. Mutate may therefore run several times and
//   must not have effects outside its arguments other than reads. A mutate that can fail
//   on its own (a record that does not parse) returns Result<Decision<T>>: its Status ends
//   the Update, nothing written.
//
// Thread-safety: no state of their own; callable from any thread the Store allows.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace wharf::store {

// How many times a read-modify-write is tried before the caller is told it lost.
inline constexpr int kMaxCommitAttempts = 16;

// What an attempt reports when its commit's compare failed: read again, decide again.
struct Conflict {};
inline constexpr Conflict kConflict{};

// One attempt's report: a result, or kConflict. Built implicitly from either, so an
// attempt returns its answers (and kConflict) as they are.
template <typename T>
class Attempt {
 public:
  using value_type = T;

  Attempt(Conflict) {}  // NOLINT: implicit by design
  template <typename U>
    requires(std::is_convertible_v<U &&, T> && !std::is_same_v<std::remove_cvref_t<U>, Conflict>)
  Attempt(U&& result) : result_(std::in_place, std::forward<U>(result)) {}  // NOLINT

  bool lost_race() const { return !result_.has_value(); }
  T&& result() && { return *std::move(result_); }

 private:
  std::optional<T> result_;
};

// Runs `try_once` (a callable returning Attempt<T>) until it reports a result, at most
// kMaxCommitAttempts times. nullopt when every attempt lost the race.
template <typename TryOnce>
auto RetryOnConflict(TryOnce&& try_once)
    -> std::optional<typename std::invoke_result_t<TryOnce&>::value_type> {
  for (int attempt = 0; attempt < kMaxCommitAttempts; ++attempt) {
    auto report = try_once();
    if (!report.lost_race()) return std::move(report).result();
  }
  return std::nullopt;
}

// Marks a mutate's answer as "commit my changes first"; see store::Commit.
template <typename T>
struct CommitThen {
  T answer;
};

// Commit what mutate changed, then answer `answer`.
template <typename U>
CommitThen<std::decay_t<U>> Commit(U&& answer) {
  return {std::forward<U>(answer)};
}

// What mutate decided: stop with an answer (a plain T), or Commit(answer).
template <typename T>
class Decision {
 public:
  using value_type = T;

  template <typename U>
    requires std::is_convertible_v<U &&, T>
  Decision(U&& answer) : answer_(std::forward<U>(answer)) {}  // NOLINT: implicit by design
  template <typename U>
    requires std::is_convertible_v<U &&, T>
  Decision(CommitThen<U>&& commit) : answer_(std::move(commit.answer)), commit_(true) {}  // NOLINT

  bool commits() const { return commit_; }
  T&& answer() && { return std::move(answer_); }

 private:
  T answer_;
  bool commit_ = false;
};

// The answer type T of a mutate returning Decision<T> or Result<Decision<T>>.
template <typename R>
struct DecisionAnswer;
template <typename T>
struct DecisionAnswer<Decision<T>> {
  using type = T;
};
template <typename T>
struct DecisionAnswer<Result<Decision<T>>> {
  using type = T;
};
template <typename Mutate, typename... Args>
using DecisionOf = typename DecisionAnswer<std::invoke_result_t<Mutate&, Args...>>::type;

// The keys one attempt of an Update reads and writes. Every key it reads from the store is
// compared at commit (its mod_revision as read, 0 if absent); keys only written are not.
// Reads see the attempt's own earlier writes.
class Draft {
 public:
  explicit Draft(Store& store) : store_(store) {}
  Draft(const Draft&) = delete;
  Draft& operator=(const Draft&) = delete;

  Result<std::optional<std::string>> Get(const std::string& key);
  void Put(std::string key, std::string value);
  void Delete(std::string key);

  // The transaction that commits this draft; empty ops when nothing was written.
  Txn ToTxn() const;

 private:
  struct Read {
    int64_t mod_revision = 0;  // 0: absent
    std::optional<std::string> value;
  };

  Store& store_;
  std::map<std::string, Read, std::less<>> read_;
  std::vector<Op> writes_;  // in order; a later write of a key replaces an earlier one
};

namespace internal {

// The loop under both Update forms: each attempt gets a fresh Draft, `decide` fills it and
// decides; a commit decision commits the draft (when it wrote anything).
template <typename T, typename Decide>
Result<std::optional<T>> UpdateThroughDraft(Store& store, Decide&& decide) {
  Status failed;
  std::optional<T> answer;
  RetryOnConflict([&]() -> Attempt<bool> {
    Draft draft(store);
    Result<Decision<T>> decided = decide(draft);
    if (!decided.ok()) {
      failed = decided.status();
      return true;
    }
    if (decided->commits()) {
      Txn txn = draft.ToTxn();
      if (!txn.ops.empty()) {
        auto committed = store.Commit(txn);
        if (!committed.ok()) {
          failed = committed.status();
          return true;
        }
        if (!committed->succeeded) return kConflict;
      }
    }
    answer.emplace(std::move(*decided).answer());
    return true;
  });
  if (!failed.ok()) return failed;
  return answer;
}

}  // namespace internal

// Single key. `mutate(std::optional<std::string>& value)` sees the value at `key` (nullopt:
// absent) and may change it in place: a string puts it, nullopt deletes it. A commit
// compares the key's mod_revision as it was read. Answers what mutate decided; nullopt
// when every attempt lost the race; a Status when the store (or mutate) failed.
template <typename Mutate>
auto Update(Store& store, const std::string& key, Mutate&& mutate)
    -> Result<std::optional<DecisionOf<Mutate, std::optional<std::string>&>>> {
  using T = DecisionOf<Mutate, std::optional<std::string>&>;
  return internal::UpdateThroughDraft<T>(store, [&](Draft& draft) -> Result<Decision<T>> {
    ASSIGN_OR_RETURN(std::optional<std::string> value, draft.Get(key));
    const bool existed = value.has_value();
    Result<Decision<T>> decided = mutate(value);
    if (value) {
      draft.Put(key, *std::move(value));
    } else if (existed) {
      draft.Delete(key);
    }
    return decided;
  });
}

// Several keys. `mutate(Draft&)` reads and writes through the draft; a commit writes all
// it wrote if nothing it read has changed meanwhile. Answers as the single-key form.
template <typename Mutate>
auto Update(Store& store, Mutate&& mutate) -> Result<std::optional<DecisionOf<Mutate, Draft&>>> {
  using T = DecisionOf<Mutate, Draft&>;
  return internal::UpdateThroughDraft<T>(
      store, [&](Draft& draft) -> Result<Decision<T>> { return mutate(draft); });
}

}  // namespace wharf::store
