// Time as a seam: code that reads the time takes a Clock& so tests run on simulated time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace wharf {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
};

// A clock that moves only when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point t) : now_(t) {}
  std::chrono::system_clock::time_point Now() const override { return now_; }
  void Advance(std::chrono::system_clock::duration d) { now_ += d; }

 private:
  std::chrono::system_clock::time_point now_;
};

// Seconds since the epoch with millisecond precision, as AWS JSON protocols send timestamps.
double EpochSeconds(std::chrono::system_clock::time_point t);
// "2024-05-01T12:00:00.123Z", as the Query protocol sends timestamps.
std::string Iso8601(std::chrono::system_clock::time_point t);

}  // namespace wharf
