#include "logs/filter_pattern.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <charconv>
#include <optional>
#include <variant>
#include <vector>

#include "base/glob.h"

namespace wharf::logs {
namespace json = boost::json;

// A condition tree shared by JSON patterns (selectors) and space-delimited fields (names).
struct Expr {
  enum class Kind { kAnd, kOr, kCompare, kIsNull, kIsTrue, kIsFalse, kExists, kNotExists };
  Kind kind = Kind::kCompare;
  std::unique_ptr<Expr> left, right;               // kAnd, kOr
  std::vector<std::variant<std::string, size_t>> path;  // JSON: members and indexes
  std::string field;                               // space-delimited: the field's name
  std::string op;                                  // = != < <= > >=
  std::string value;                               // the literal, unquoted
  std::optional<double> number;                    // the literal as a number (unquoted only)
};

struct SpaceField {
  bool ellipsis = false;
  std::string name;
  std::unique_ptr<Expr> condition;  // may be null
};

struct FilterPattern::Node {
  enum class Kind { kTerms, kJson, kSpace };
  Kind kind = Kind::kTerms;
  std::vector<std::string> required, any, excluded;  // kTerms
  std::unique_ptr<Expr> expr;                        // kJson
  std::vector<SpaceField> fields;                    // kSpace
};

namespace {

Status Invalid(std::string_view why) {
  return Status::InvalidArgument("Invalid filter pattern: " + std::string(why));
}

std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return d;
}

// ---- terms ---------------------------------------------------------------------------

Result<std::unique_ptr<FilterPattern::Node>> ParseTerms(std::string_view text) {
  auto node = std::make_unique<FilterPattern::Node>();
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) { ++i; continue; }
    char prefix = 0;
    if (text[i] == '?' || text[i] == '-') prefix = text[i++];
    std::string term;
    if (i < text.size() && text[i] == '"') {
      size_t close = text.find('"', i + 1);
      if (close == std::string_view::npos) return Invalid("unterminated quote");
      term = std::string(text.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      size_t end = i;
      while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
      term = std::string(text.substr(i, end - i));
      i = end;
    }
    if (term.empty()) {
      if (prefix) return Invalid("a ? or - needs a term");
      continue;
    }
    (prefix == '?' ? node->any : prefix == '-' ? node->excluded : node->required).push_back(term);
  }
  return node;
}

// ---- conditions ----------------------------------------------------------------------

class ExprParser {
 public:
  // JSON selectors start with `$`; space-delimited conditions name a field.
  ExprParser(std::string_view text, bool json) : text_(text), json_(json) {}

  Result<std::unique_ptr<Expr>> ParseAll() {
    ASSIGN_OR_RETURN(auto e, ParseOr());
    SkipSpace();
    if (pos_ != text_.size()) return Invalid("unexpected '" + std::string(text_.substr(pos_)) + "'");
    return e;
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Eat(std::string_view s) {
    SkipSpace();
    if (text_.substr(pos_, s.size()) != s) return false;
    pos_ += s.size();
    return true;
  }
  static bool WordChar(char c) {
    return !std::isspace(static_cast<unsigned char>(c)) && c != '(' && c != ')' && c != '&' &&
           c != '|' && c != '=' && c != '!' && c != '<' && c != '>' && c != ',';
  }
  std::string Word() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && WordChar(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  Result<std::unique_ptr<Expr>> ParseOr() {
    ASSIGN_OR_RETURN(auto left, ParseAnd());
    while (Eat("||")) {
      ASSIGN_OR_RETURN(auto right, ParseAnd());
      auto e = std::make_unique<Expr>();
      e->kind = Expr::Kind::kOr;
      e->left = std::move(left);
      e->right = std::move(right);
      left = std::move(e);
    }
    return left;
  }
  Result<std::unique_ptr<Expr>> ParseAnd() {
    ASSIGN_OR_RETURN(auto left, ParsePrimary());
    while (Eat("&&")) {
      ASSIGN_OR_RETURN(auto right, ParsePrimary());
      auto e = std::make_unique<Expr>();
      e->kind = Expr::Kind::kAnd;
      e->left = std::move(left);
      e->right = std::move(right);
      left = std::move(e);
    }
    return left;
  }
  Result<std::unique_ptr<Expr>> ParsePrimary() {
    if (Eat("(")) {
      ASSIGN_OR_RETURN(auto inner, ParseOr());
      if (!Eat(")")) return Invalid("missing ')'");
      return inner;
    }
    return ParseCondition();
  }

  Status ParseSelector(Expr& e, std::string_view sel) {
    if (sel.size() < 2 || sel[0] != '$') return Invalid("a JSON selector starts with $.");
    size_t i = 1;
    while (i < sel.size()) {
      if (sel[i] == '.') {
        size_t end = i + 1;
        while (end < sel.size() && sel[end] != '.' && sel[end] != '[') ++end;
        if (end == i + 1) return Invalid("empty member in selector " + std::string(sel));
        e.path.emplace_back(std::string(sel.substr(i + 1, end - i - 1)));
        i = end;
      } else if (sel[i] == '[') {
        size_t close = sel.find(']', i);
        if (close == std::string_view::npos) return Invalid("missing ']' in selector");
        std::string_view idx = sel.substr(i + 1, close - i - 1);
        size_t n = 0;
        auto [end, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), n);
        if (ec != std::errc() || end != idx.data() + idx.size()) return Invalid("bad array index");
        e.path.emplace_back(n);
        i = close + 1;
      } else {
        return Invalid("bad selector " + std::string(sel));
      }
    }
    return Status::OK();
  }

  Result<std::unique_ptr<Expr>> ParseCondition() {
    auto e = std::make_unique<Expr>();
    std::string subject = Word();
    if (subject.empty()) return Invalid("expected a selector");
    if (json_) {
      RETURN_IF_ERROR(ParseSelector(*e, subject));
    } else {
      e->field = subject;
    }
    SkipSpace();
    for (std::string_view op : {"!=", "<=", ">=", "=", "<", ">"}) {
      if (Eat(op)) {
        e->op = std::string(op);
        SkipSpace();
        if (pos_ < text_.size() && text_[pos_] == '"') {
          size_t close = text_.find('"', pos_ + 1);
          if (close == std::string_view::npos) return Invalid("unterminated quote");
          e->value = std::string(text_.substr(pos_ + 1, close - pos_ - 1));
          pos_ = close + 1;
        } else {
          e->value = Word();
          if (e->value.empty()) return Invalid("expected a value after " + e->op);
          e->number = ParseNumber(e->value);
        }
        if (e->op != "=" && e->op != "!=" && !e->number) {
          return Invalid("operator " + e->op + " needs a number");
        }
        return e;
      }
    }
    std::string word = Word();
    if (word == "IS") {
      std::string what = Word();
      if (what == "NULL") e->kind = Expr::Kind::kIsNull;
      else if (what == "TRUE") e->kind = Expr::Kind::kIsTrue;
      else if (what == "FALSE") e->kind = Expr::Kind::kIsFalse;
      else return Invalid("IS wants NULL, TRUE or FALSE");
      return e;
    }
    if (word == "EXISTS") {
      e->kind = Expr::Kind::kExists;
      return e;
    }
    if (word == "NOT" && Word() == "EXISTS") {
      e->kind = Expr::Kind::kNotExists;
      return e;
    }
    return Invalid("expected an operator after " + subject);
  }

  std::string_view text_;
  bool json_;
  size_t pos_ = 0;
};

// What a selector or field found: absent, or a JSON value / a plain field.
struct Subject {
  enum class Kind { kMissing, kNull, kBool, kNumber, kString, kOther };
  Kind kind = Kind::kMissing;
  bool boolean = false;
  double number = 0;
  std::string_view text;
};

bool Compare(const Expr& e, const Subject& s) {
  if (s.kind == Subject::Kind::kMissing) return false;
  std::optional<double> n;
  if (s.kind == Subject::Kind::kNumber) n = s.number;
  else if (s.kind == Subject::Kind::kString && e.number) n = ParseNumber(s.text);
  if (e.op == "=" || e.op == "!=") {
    bool equal = false;
    if (e.number && n) equal = *n == *e.number;
    else if (s.kind == Subject::Kind::kString) equal = WildcardMatch(e.value, s.text);
    else if (s.kind == Subject::Kind::kBool) equal = e.value == (s.boolean ? "true" : "false");
    else if (s.kind == Subject::Kind::kNull) equal = e.value == "null";
    return e.op == "=" ? equal : !equal;
  }
  if (!n) return false;
  if (e.op == "<") return *n < *e.number;
  if (e.op == "<=") return *n <= *e.number;
  if (e.op == ">") return *n > *e.number;
  return *n >= *e.number;
}

template <typename Resolve>
bool Evaluate(const Expr& e, const Resolve& resolve) {
  switch (e.kind) {
    case Expr::Kind::kAnd: return Evaluate(*e.left, resolve) && Evaluate(*e.right, resolve);
    case Expr::Kind::kOr: return Evaluate(*e.left, resolve) || Evaluate(*e.right, resolve);
    default: break;
  }
  Subject s = resolve(e);
  switch (e.kind) {
    case Expr::Kind::kIsNull: return s.kind == Subject::Kind::kNull;
    case Expr::Kind::kIsTrue: return s.kind == Subject::Kind::kBool && s.boolean;
    case Expr::Kind::kIsFalse: return s.kind == Subject::Kind::kBool && !s.boolean;
    case Expr::Kind::kExists: return s.kind != Subject::Kind::kMissing;
    case Expr::Kind::kNotExists: return s.kind == Subject::Kind::kMissing;
    default: return Compare(e, s);
  }
}

Subject FromJson(const json::value* v) {
  Subject s;
  if (!v) return s;
  if (v->is_null()) s.kind = Subject::Kind::kNull;
  else if (v->is_bool()) { s.kind = Subject::Kind::kBool; s.boolean = v->get_bool(); }
  else if (v->is_number()) { s.kind = Subject::Kind::kNumber; s.number = v->to_number<double>(); }
  else if (v->is_string()) { s.kind = Subject::Kind::kString; s.text = v->get_string(); }
  else s.kind = Subject::Kind::kOther;
  return s;
}

const json::value* Lookup(const json::value& root, const Expr& e) {
  const json::value* v = &root;
  for (const auto& step : e.path) {
    if (const auto* member = std::get_if<std::string>(&step)) {
      if (!v->is_object()) return nullptr;
      v = v->as_object().if_contains(*member);
    } else {
      size_t index = std::get<size_t>(step);
      if (!v->is_array() || index >= v->as_array().size()) return nullptr;
      v = &v->as_array()[index];
    }
    if (!v) return nullptr;
  }
  return v;
}

// ---- space-delimited -----------------------------------------------------------------

Result<std::unique_ptr<FilterPattern::Node>> ParseSpaceDelimited(std::string_view text) {
  if (text.back() != ']') return Invalid("missing ']'");
  std::string_view body = text.substr(1, text.size() - 2);
  auto node = std::make_unique<FilterPattern::Node>();
  node->kind = FilterPattern::Node::Kind::kSpace;
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i <= body.size(); ++i) {
    if (i < body.size() && body[i] == '"') quoted = !quoted;
    if (i < body.size() && (quoted || body[i] != ',')) continue;
    std::string_view item = body.substr(start, i - start);
    start = i + 1;
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    SpaceField field;
    if (item == "...") {
      field.ellipsis = true;
    } else {
      size_t name_end = 0;
      while (name_end < item.size() && (std::isalnum(static_cast<unsigned char>(item[name_end])) || item[name_end] == '_')) ++name_end;
      if (name_end == 0) return Invalid("a field needs a name: '" + std::string(item) + "'");
      field.name = std::string(item.substr(0, name_end));
      if (name_end < item.size()) {
        // The field's conditions; the first one may leave the name implicit (`f = 1` is written
        // with its name, as are the ones after && and ||).
        ASSIGN_OR_RETURN(field.condition, ExprParser(item, false).ParseAll());
      }
    }
    node->fields.push_back(std::move(field));
  }
  if (quoted) return Invalid("unterminated quote");
  return node;
}

// A message's fields: split on spaces, "quoted" and [bracketed] runs kept whole (without
// their quotes and brackets).
std::vector<std::string_view> SplitFields(std::string_view m) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < m.size()) {
    if (m[i] == ' ') { ++i; continue; }
    char close = m[i] == '"' ? '"' : m[i] == '[' ? ']' : 0;
    if (close) {
      size_t end = m.find(close, i + 1);
      if (end != std::string_view::npos) {
        out.push_back(m.substr(i + 1, end - i - 1));
        i = end + 1;
        continue;
      }
    }
    size_t end = m.find(' ', i);
    if (end == std::string_view::npos) end = m.size();
    out.push_back(m.substr(i, end - i));
    i = end;
  }
  return out;
}

// `bound` (may be null) gets, per pattern field, the message field it took: on success the
// assignment of the match found (later tries overwrite earlier failed ones).
bool MatchFields(const std::vector<SpaceField>& fields, size_t f,
                 const std::vector<std::string_view>& values, size_t v,
                 std::vector<std::string_view>* bound = nullptr) {
  if (f == fields.size()) return v == values.size();
  const SpaceField& field = fields[f];
  if (field.ellipsis) {
    for (size_t skip = v; skip <= values.size(); ++skip) {
      if (MatchFields(fields, f + 1, values, skip, bound)) return true;
    }
    return false;
  }
  if (v == values.size()) return false;
  if (field.condition) {
    Subject s{Subject::Kind::kString, false, 0, values[v]};
    if (!Evaluate(*field.condition, [&](const Expr&) { return s; })) return false;
  }
  if (bound) (*bound)[f] = values[v];
  return MatchFields(fields, f + 1, values, v + 1, bound);
}

// `$.a.b[0]` as a path (members and indexes); nullopt when malformed.
std::optional<std::vector<std::variant<std::string, size_t>>> SelectorPath(std::string_view ref) {
  if (!ref.starts_with("$")) return std::nullopt;
  ref.remove_prefix(1);
  std::vector<std::variant<std::string, size_t>> path;
  while (!ref.empty()) {
    if (ref.front() == '.') {
      ref.remove_prefix(1);
      size_t end = ref.find_first_of(".[");
      if (end == 0) return std::nullopt;
      if (end == std::string_view::npos) end = ref.size();
      path.emplace_back(std::string(ref.substr(0, end)));
      ref.remove_prefix(end);
    } else if (ref.front() == '[') {
      size_t close = ref.find(']');
      if (close == std::string_view::npos) return std::nullopt;
      size_t index = 0;
      auto digits = ref.substr(1, close - 1);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
      path.emplace_back(index);
      ref.remove_prefix(close + 1);
    } else {
      return std::nullopt;
    }
  }
  return path;
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text) { return GlobMatch(pattern, text); }

std::optional<std::string> Captures::Value(std::string_view ref) const {
  for (const auto& [name, value] : fields) {
    if (name == ref) return value;
  }
  if (!doc || !ref.starts_with("$.")) return std::nullopt;
  auto path = SelectorPath(ref);
  if (!path) return std::nullopt;
  Expr e;
  e.path = std::move(*path);
  const json::value* v = Lookup(*doc, e);
  if (!v || v->is_null() || v->is_object() || v->is_array()) return std::nullopt;
  if (v->is_string()) return std::string(v->get_string());
  return json::serialize(*v);
}

std::optional<Captures> FilterPattern::Capture(std::string_view message) const {
  Captures out;
  if (!root_) return out;
  switch (root_->kind) {
    case Node::Kind::kTerms:
      if (!Matches(message)) return std::nullopt;
      return out;
    case Node::Kind::kJson: {
      size_t first = message.find_first_not_of(" \t\r\n");
      if (first == std::string_view::npos || message[first] != '{') return std::nullopt;
      boost::system::error_code ec;
      auto doc = std::make_shared<json::value>(json::parse(message, ec));
      if (ec || !doc->is_object()) return std::nullopt;
      if (!Evaluate(*root_->expr, [&](const Expr& e) { return FromJson(Lookup(*doc, e)); })) return std::nullopt;
      out.doc = std::move(doc);
      return out;
    }
    case Node::Kind::kSpace: {
      std::vector<std::string_view> bound(root_->fields.size());
      if (!MatchFields(root_->fields, 0, SplitFields(message), 0, &bound)) return std::nullopt;
      for (size_t i = 0; i < root_->fields.size(); ++i) {
        if (root_->fields[i].ellipsis) continue;
        out.fields.emplace_back("$" + root_->fields[i].name, std::string(bound[i]));
      }
      return out;
    }
  }
  return std::nullopt;
}

Result<FilterPattern> FilterPattern::Parse(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  FilterPattern pattern;
  if (text.empty()) return pattern;
  std::unique_ptr<Node> node;
  if (text.front() == '{') {
    if (text.back() != '}') return Invalid("missing '}'");
    node = std::make_unique<Node>();
    node->kind = Node::Kind::kJson;
    ASSIGN_OR_RETURN(node->expr, ExprParser(text.substr(1, text.size() - 2), true).ParseAll());
  } else if (text.front() == '[') {
    ASSIGN_OR_RETURN(node, ParseSpaceDelimited(text));
  } else {
    ASSIGN_OR_RETURN(node, ParseTerms(text));
    if (node->required.empty() && node->any.empty() && node->excluded.empty()) return pattern;
  }
  pattern.root_ = std::move(node);
  return pattern;
}

bool FilterPattern::Matches(std::string_view message) const {
  if (!root_) return true;
  switch (root_->kind) {
    case Node::Kind::kTerms: {
      for (const auto& t : root_->excluded) {
        if (message.find(t) != std::string_view::npos) return false;
      }
      for (const auto& t : root_->required) {
        if (message.find(t) == std::string_view::npos) return false;
      }
      if (root_->any.empty()) return true;
      for (const auto& t : root_->any) {
        if (message.find(t) != std::string_view::npos) return true;
      }
      return false;
    }
    case Node::Kind::kJson: {
      size_t first = message.find_first_not_of(" \t\r\n");
      if (first == std::string_view::npos || message[first] != '{') return false;
      boost::system::error_code ec;
      json::value doc = json::parse(message, ec);
      if (ec || !doc.is_object()) return false;
      return Evaluate(*root_->expr, [&](const Expr& e) { return FromJson(Lookup(doc, e)); });
    }
    case Node::Kind::kSpace:
      return MatchFields(root_->fields, 0, SplitFields(message), 0);
  }
  return false;
}

}  // namespace wharf::logs
