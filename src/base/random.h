// Randomness as a seam, and the identifiers AWS hands out.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace wharf {

class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t Next() = 0;
};

// Cryptographically strong (the kernel's getrandom(2), what OpenSSL's RAND seeds from; its
// DRBG would cost the provider start-up crypto.h describes): used for keys and ids.
class SecureRandom final : public Random {
 public:
  uint64_t Next() override;
};

// Fast and thread-safe, not for secrets: request ids and the like. Seeded by SecureRandom.
class FastRandom final : public Random {
 public:
  FastRandom();
  uint64_t Next() override;

 private:
  std::atomic<uint64_t> state_;
};

std::string RandomHex(Random& rng, size_t chars);
// 8-4-4-4-12 lowercase hex, version 4.
std::string RandomUuid(Random& rng);
// Upper-case letters and digits, as in access key ids ("AKIA" + 16).
std::string RandomAlnum(Random& rng, size_t chars, bool upper_only);

}  // namespace wharf
