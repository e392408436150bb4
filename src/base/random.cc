#include "base/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

namespace wharf {

uint64_t SecureRandom::Next() {
  uint64_t v = 0;
  ssize_t n;
  do {
    n = getrandom(&v, sizeof v, 0);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof v)) std::abort();  // no getrandom(2): a kernel before 3.17
  return v;
}

FastRandom::FastRandom() : state_(SecureRandom().Next()) {}

uint64_t FastRandom::Next() {
  // splitmix64 over an atomic counter: every caller gets a distinct, well-mixed value.
  uint64_t z = state_.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string RandomHex(Random& rng, size_t chars) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  uint64_t bits = 0;
  int left = 0;
  while (out.size() < chars) {
    if (left == 0) {
      bits = rng.Next();
      left = 16;
    }
    out.push_back(kDigits[bits & 15]);
    bits >>= 4;
    --left;
  }
  return out;
}

std::string RandomUuid(Random& rng) {
  std::string h = RandomHex(rng, 32);
  h[12] = '4';
  h[16] = "89ab"[h[16] % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

std::string RandomAlnum(Random& rng, size_t chars, bool upper_only) {
  static const char kUpper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  static const char kMixed[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  while (out.size() < chars) {
    uint64_t v = rng.Next();
    for (int i = 0; i < 10 && out.size() < chars; ++i, v >>= 6) {
      out.push_back(upper_only ? kUpper[v & 31] : kMixed[v & 63]);
    }
  }
  return out;
}

}  // namespace wharf
