#include "iam/strict_json.h"

#include <algorithm>
#include <cstdint>

namespace wharf::iam {

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (const auto& [k, v] : members) {
    if (k == key) return &v;
  }
  return nullptr;
}

namespace {

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool Document(JsonValue* out) {
    SkipSpace();
    if (!Value(out, 0)) return false;
    SkipSpace();
    return pos_ == in_.size();
  }

 private:
  bool Value(JsonValue* out, int depth) {
    if (depth > kMaxJsonDepth || pos_ >= in_.size()) return false;
    char c = in_[pos_];
    switch (c) {
      case '{': return Object(out, depth);
      case '[': return Array(out, depth);
      case '"': out->type = JsonValue::Type::kString; return String(&out->text);
      case 't': return Literal("true", JsonValue::Type::kBool, out);
      case 'f': return Literal("false", JsonValue::Type::kBool, out);
      case 'n': return Literal("null", JsonValue::Type::kNull, out);
      default: return Number(out);
    }
  }

  bool Object(JsonValue* out, int depth) {
    out->type = JsonValue::Type::kObject;
    ++pos_;  // '{'
    SkipSpace();
    if (Peek('}')) return ++pos_, true;
    while (true) {
      SkipSpace();
      std::string key;
      if (!Peek('"') || !String(&key)) return false;
      SkipSpace();
      if (!Peek(':')) return false;
      ++pos_;
      SkipSpace();
      JsonValue v;
      if (!Value(&v, depth + 1)) return false;
      out->members.push_back(JsonMember{std::move(key), std::move(v)});
      SkipSpace();
      if (Peek(',')) { ++pos_; continue; }
      if (Peek('}')) return ++pos_, UniqueKeys(*out);
      return false;
    }
  }

  // Sorting once the object is whole keeps hostile objects of many keys n log n.
  static bool UniqueKeys(const JsonValue& object) {
    std::vector<std::string_view> keys;
    keys.reserve(object.members.size());
    for (const auto& m : object.members) keys.push_back(m.first);
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) == keys.end();
  }

  bool Array(JsonValue* out, int depth) {
    out->type = JsonValue::Type::kArray;
    ++pos_;  // '['
    SkipSpace();
    if (Peek(']')) return ++pos_, true;
    while (true) {
      SkipSpace();
      JsonValue v;
      if (!Value(&v, depth + 1)) return false;
      out->items.push_back(std::move(v));
      SkipSpace();
      if (Peek(',')) { ++pos_; continue; }
      if (Peek(']')) return ++pos_, true;
      return false;
    }
  }

  bool Literal(std::string_view word, JsonValue::Type type, JsonValue* out) {
    if (in_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    out->type = type;
    if (type == JsonValue::Type::kBool) out->text = std::string(word);
    return true;
  }

  bool Number(JsonValue* out) {
    size_t start = pos_;
    if (Peek('-')) ++pos_;
    if (Peek('0')) {
      ++pos_;
    } else if (!Digits()) {
      return false;
    }
    if (Peek('.')) {
      ++pos_;
      if (!Digits()) return false;
    }
    if (Peek('e') || Peek('E')) {
      ++pos_;
      if (Peek('+') || Peek('-')) ++pos_;
      if (!Digits()) return false;
    }
    out->type = JsonValue::Type::kNumber;
    out->text = std::string(in_.substr(start, pos_ - start));
    return true;
  }

  bool Digits() {
    size_t start = pos_;
    while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  bool Hex4(uint32_t* v) {
    if (in_.size() - pos_ < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = in_[pos_++];
      *v <<= 4;
      if (c >= '0' && c <= '9') *v |= c - '0';
      else if (c >= 'a' && c <= 'f') *v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') *v |= c - 'A' + 10;
      else return false;
    }
    return true;
  }

  static void AppendUtf8(uint32_t cp, std::string* s) {
    if (cp < 0x80) {
      s->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // One raw UTF-8 sequence starting at pos_ (well-formed per RFC 3629: no overlongs, no
  // surrogates, nothing above U+10FFFF), copied to `s`.
  bool RawUtf8(std::string* s) {
    auto b = [&](size_t i) { return static_cast<uint8_t>(in_[i]); };
    uint8_t c = b(pos_);
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) n = 2;
    else if (c == 0xED) n = 2, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) n = 2;
    else if (c == 0xF0) n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;
    else return false;
    if (in_.size() - pos_ <= n) return false;
    for (size_t i = 1; i <= n; ++i) {
      uint8_t t = b(pos_ + i);
      if (t < (i == 1 ? lo : 0x80) || t > (i == 1 ? hi : 0xBF)) return false;
    }
    s->append(in_.substr(pos_, n + 1));
    pos_ += n + 1;
    return true;
  }

  bool String(std::string* s) {
    ++pos_;  // '"'
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (c == '"') return ++pos_, true;
      if (static_cast<uint8_t>(c) < 0x20) return false;
      if (static_cast<uint8_t>(c) >= 0x80) {
        if (!RawUtf8(s)) return false;
        continue;
      }
      ++pos_;
      if (c != '\\') {
        s->push_back(c);
        continue;
      }
      if (pos_ >= in_.size()) return false;
      char e = in_[pos_++];
      switch (e) {
        case '"': s->push_back('"'); break;
        case '\\': s->push_back('\\'); break;
        case '/': s->push_back('/'); break;
        case 'b': s->push_back('\b'); break;
        case 'f': s->push_back('\f'); break;
        case 'n': s->push_back('\n'); break;
        case 'r': s->push_back('\r'); break;
        case 't': s->push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // lone low surrogate
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low;
            if (in_.substr(pos_, 2) != "\\u") return false;
            pos_ += 2;
            if (!Hex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(cp, s);
          break;
        }
        default: return false;
      }
    }
    return false;
  }

  bool Peek(char c) const { return pos_ < in_.size() && in_[pos_] == c; }
  void SkipSpace() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<JsonValue> ParseStrictJson(std::string_view text) {
  JsonValue v;
  if (!Reader(text).Document(&v)) return std::nullopt;
  return v;
}

}  // namespace wharf::iam
