#pragma once
// FNV-1a: a hash stable across builds, hosts and runs (std::hash is none of these), for names
// derived from other names (a node's nft tables, an ENI's port).
#include <cstdint>
#include <string_view>

namespace wharf {

constexpr uint32_t Fnv1a32(std::string_view data) {
  uint32_t h = 2166136261u;
  for (char c : data) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

constexpr uint64_t Fnv1a64(std::string_view data) {
  uint64_t h = 14695981039346656037ull;
  for (char c : data) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

}  // namespace wharf
