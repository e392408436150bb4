#include "iam/policy_values.h"

#include <arpa/inet.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "base/civil_time.h"
#include "base/glob.h"
#include "iam/evaluate.h"

namespace wharf::iam {

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string_view> SplitArn(std::string_view s, size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) break;
    parts.push_back(s.substr(0, colon));
    s.remove_prefix(colon + 1);
  }
  parts.push_back(s);
  return parts;
}

size_t NthColon(std::string_view s, int n) {
  size_t at = std::string_view::npos;
  for (int i = 0; i < n; ++i) {
    at = s.find(':', at == std::string_view::npos ? 0 : at + 1);
    if (at == std::string_view::npos) return at;
  }
  return at;
}

void AppendEscaped(std::string_view literal, std::string* glob) {
  for (char c : literal) {
    if (c == '*' || c == '?' || c == '\\') glob->push_back('\\');
    glob->push_back(c);
  }
}

namespace {

std::string GlobOf(std::string_view source, bool* wildcards) {
  std::string glob;
  glob.reserve(source.size());
  for (char c : source) {
    if (c == '*' || c == '?') *wildcards = true;
    if (c == '\\') glob.push_back('\\');
    glob.push_back(c);
  }
  return glob;
}

// One "${...}" at `source` (which starts with "${"): its length and its value. nullopt
// length when it is not a variable (no closing brace): then "${" is literal.
struct Variable {
  size_t length = 0;
  bool resolved = false;
  bool literal_special = false;  // ${*} ${?} ${$}: a literal character
  std::string value;
};

std::optional<Variable> ReadVariable(std::string_view source, const ConditionKeys& keys) {
  size_t close = source.find('}', 2);
  if (close == std::string_view::npos) return std::nullopt;
  Variable v;
  v.length = close + 1;
  std::string_view body = source.substr(2, close - 2);
  if (body == "*" || body == "?" || body == "$") {
    v.resolved = true;
    v.literal_special = true;
    v.value = std::string(body);
    return v;
  }
  std::string_view key = body;
  std::optional<std::string_view> fallback;
  if (size_t comma = body.find(','); comma != std::string_view::npos) {
    key = body.substr(0, comma);
    std::string_view d = body.substr(comma + 1);
    while (!d.empty() && d.front() == ' ') d.remove_prefix(1);
    while (!d.empty() && d.back() == ' ') d.remove_suffix(1);
    if (d.size() >= 2 && d.front() == '\'' && d.back() == '\'') fallback = d.substr(1, d.size() - 2);
  }
  while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
  while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
  const std::vector<std::string>* values = keys.Find(ToLower(key));
  // Only single-valued keys can be variables.
  if (values != nullptr && values->size() == 1) {
    v.resolved = true;
    v.value = (*values)[0];
  } else if (fallback) {
    v.resolved = true;
    v.value = std::string(*fallback);
  }
  return v;
}

}  // namespace

Pattern MakePattern(std::string source, bool variables) {
  Pattern p;
  p.has_variables = variables && source.find("${") != std::string::npos;
  p.glob = GlobOf(source, &p.has_wildcards);
  p.source = std::move(source);
  return p;
}

ArnPattern MakeArnPattern(const std::string& source, bool variables) {
  ArnPattern a;
  a.any = source == "*";
  a.pattern = MakePattern(source, variables);
  const std::string& g = a.pattern.glob;
  if (a.any || a.pattern.has_variables || g.size() > UINT16_MAX) return a;
  ArnParts parts = SplitArnParts(g);
  if (parts.count != 6) return a;
  a.segments = 6;
  for (int i = 0; i < 6; ++i) {
    std::string_view seg = parts.part[i];
    a.segment_end[i] = static_cast<uint16_t>(seg.data() - g.data() + seg.size());
    if (seg.find_first_of("*?\\") == std::string_view::npos) a.literal_segments |= 1 << i;
  }
  return a;
}

ArnParts SplitArnParts(std::string_view arn) {
  ArnParts p;
  while (p.count < 5) {
    size_t colon = arn.find(':');
    if (colon == std::string_view::npos) break;
    p.part[p.count++] = arn.substr(0, colon);
    arn.remove_prefix(colon + 1);
  }
  p.part[p.count++] = arn;
  return p;
}

bool ArnPatternMatches(const ArnPattern& pattern, const ArnParts& arn) {
  if (pattern.any) return true;
  if (pattern.segments != 6 || arn.count != 6) {
    std::string_view whole(arn.part[0].data(),
                           arn.part[arn.count - 1].data() + arn.part[arn.count - 1].size() - arn.part[0].data());
    return ArnGlobMatches(pattern.pattern.glob, whole);
  }
  std::string_view g = pattern.pattern.glob;
  size_t start = 0;
  // The resource part first: it tells ARNs of one service apart soonest.
  for (int i : {5, 2, 4, 3, 1, 0}) {
    start = i == 0 ? 0 : pattern.segment_end[i - 1] + 1;
    std::string_view seg = g.substr(start, pattern.segment_end[i] - start);
    if (pattern.literal_segments & (1 << i)) {
      if (seg != arn.part[i]) return false;
    } else if (!GlobMatches(seg, arn.part[i])) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> Substitute(std::string_view source, const ConditionKeys& keys,
                                      SubstituteInto into) {
  std::string out;
  out.reserve(source.size() + 16);
  while (!source.empty()) {
    size_t at = source.find("${");
    std::string_view plain = source.substr(0, at);
    if (into == SubstituteInto::kGlob) {
      bool unused = false;
      out += GlobOf(plain, &unused);
    } else {
      out += plain;
    }
    if (at == std::string_view::npos) break;
    source.remove_prefix(at);
    std::optional<Variable> v = ReadVariable(source, keys);
    if (!v) {  // no closing brace: the rest is literal text
      if (into == SubstituteInto::kGlob) {
        bool unused = false;
        out += GlobOf(source, &unused);
      } else {
        out += source;
      }
      break;
    }
    if (!v->resolved) return std::nullopt;
    if (into == SubstituteInto::kGlob) AppendEscaped(v->value, &out);
    else out += v->value;
    source.remove_prefix(v->length);
  }
  return out;
}

bool GlobMatches(std::string_view glob, std::string_view text) {
  return GlobMatch(glob, text, GlobSyntax{.question_mark = true, .backslash_escapes = true});
}

bool ArnGlobMatches(std::string_view glob, std::string_view arn) {
  if (glob == "*") return true;
  // Colons are never escaped in the glob form, so splitting it at colons is safe.
  std::string_view g = glob, a = arn;
  for (int segment = 0; segment < 5; ++segment) {
    size_t gc = g.find(':');
    size_t ac = a.find(':');
    if (gc == std::string_view::npos) break;  // a short pattern: its last part globs the rest
    if (ac == std::string_view::npos) return false;
    if (!GlobMatches(g.substr(0, gc), a.substr(0, ac))) return false;
    g.remove_prefix(gc + 1);
    a.remove_prefix(ac + 1);
  }
  return GlobMatches(g, a);
}

std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  char buf[65];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end = nullptr;
  double v = std::strtod(buf, &end);
  if (end != buf + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

namespace {

// Reads exactly `n` digits.
bool Fixed(std::string_view& s, size_t n, int* out) {
  if (s.size() < n) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  s.remove_prefix(n);
  *out = v;
  return true;
}

bool Eat(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

}  // namespace

std::optional<int64_t> ParseDate(std::string_view s) {
  if (s.empty() || s.size() > 40) return std::nullopt;
  bool digits_only = true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!(s[i] >= '0' && s[i] <= '9') && !(i == 0 && s[i] == '-')) digits_only = false;
  }
  if (digits_only && s != "-") {
    if (s.size() > 13) return std::nullopt;  // epoch seconds; keeps the product in range
    return std::strtoll(std::string(s).c_str(), nullptr, 10) * 1000;
  }
  int year, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  if (!Fixed(s, 4, &year)) return std::nullopt;
  if (Eat(s, '-')) {
    if (!Fixed(s, 2, &month) || month < 1 || month > 12) return std::nullopt;
    if (Eat(s, '-') && (!Fixed(s, 2, &day) || day < 1 || day > 31)) return std::nullopt;
  }
  int64_t millis = 0, offset_minutes = 0;
  if (Eat(s, 'T') || Eat(s, 't')) {
    if (!Fixed(s, 2, &hour) || hour > 23) return std::nullopt;
    if (Eat(s, ':')) {
      if (!Fixed(s, 2, &minute) || minute > 59) return std::nullopt;
      if (Eat(s, ':')) {
        if (!Fixed(s, 2, &second) || second > 59) return std::nullopt;
        if (Eat(s, '.')) {
          size_t n = 0;
          int64_t scale = 100;
          while (!s.empty() && s[0] >= '0' && s[0] <= '9' && n < 9) {
            millis += (s[0] - '0') * scale;
            scale /= 10;
            s.remove_prefix(1);
            ++n;
          }
          if (n == 0) return std::nullopt;
        }
      }
    }
    if (Eat(s, 'Z') || Eat(s, 'z')) {
    } else if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
      int sign = s[0] == '-' ? -1 : 1;
      s.remove_prefix(1);
      int oh = 0, om = 0;
      if (!Fixed(s, 2, &oh) || oh > 23) return std::nullopt;
      if (Eat(s, ':') && (!Fixed(s, 2, &om) || om > 59)) return std::nullopt;
      offset_minutes = sign * (oh * 60 + om);
    }
  }
  if (!s.empty()) return std::nullopt;
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

std::optional<ConditionValue::Cidr> ParseCidr(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  ConditionValue::Cidr c;
  std::string_view address = s;
  std::optional<int> prefix;
  if (size_t slash = s.find('/'); slash != std::string_view::npos) {
    address = s.substr(0, slash);
    std::string_view p = s.substr(slash + 1);
    if (p.empty() || p.size() > 3) return std::nullopt;
    int v = 0;
    for (char ch : p) {
      if (ch < '0' || ch > '9') return std::nullopt;
      v = v * 10 + (ch - '0');
    }
    prefix = v;
  }
  std::string a(address);
  if (a.find(':') != std::string::npos) {
    c.v6 = true;
    if (inet_pton(AF_INET6, a.c_str(), c.bytes) != 1) return std::nullopt;
    c.prefix = prefix.value_or(128);
    if (c.prefix > 128) return std::nullopt;
  } else {
    if (inet_pton(AF_INET, a.c_str(), c.bytes) != 1) return std::nullopt;
    c.prefix = prefix.value_or(32);
    if (c.prefix > 32) return std::nullopt;
  }
  return c;
}

bool CidrContains(const ConditionValue::Cidr& net, const ConditionValue::Cidr& address) {
  if (net.v6 != address.v6) return false;
  int bits = net.prefix;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xFF : static_cast<uint8_t>(0xFF << (8 - bits));
    if ((net.bytes[i] & mask) != (address.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace wharf::iam
