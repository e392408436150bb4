// A strict JSON reader for policy documents: a small tree of the values a policy can hold.
//
// Why not Boost.JSON: IAM refuses a document that repeats a key within an object, and
// Boost.JSON 1.81 keeps the last of duplicates without saying so. This reader refuses
// duplicate keys, invalid UTF-8 (in strings and raw bytes), unpaired surrogates, nesting
// deeper than kMaxJsonDepth and trailing bytes, in one pass: time and memory are linear in
// the input, and recursion is bounded by the depth limit, so hostile input cannot crash it.
// Numbers keep their text: IAM compares condition values as strings.
// Thread-safety: plain values and a pure function.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wharf::iam {

inline constexpr int kMaxJsonDepth = 32;

struct JsonMember;

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  std::string text;  // kString: the decoded string; kNumber: as written; kBool: "true"/"false"
  std::vector<JsonValue> items;                             // kArray
  std::vector<JsonMember> members;  // kObject, in document order

  bool IsString() const { return type == Type::kString; }
  bool IsArray() const { return type == Type::kArray; }
  bool IsObject() const { return type == Type::kObject; }
  // The member named `key` (exact, case-sensitive), or nullptr.
  const JsonValue* Find(std::string_view key) const;
};

// A vector of an incomplete type is allowed (C++17); a std::pair of one is not.
struct JsonMember {
  std::string first;  // the key
  JsonValue second;
};

// The document's value, or nullopt when it is not one strict JSON value.
std::optional<JsonValue> ParseStrictJson(std::string_view text);

}  // namespace wharf::iam
