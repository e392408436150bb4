// GCC 12 with -fsanitize=address reports a false -Wmaybe-uninitialized inside <regex>'s
// std::function members; the pragma must precede every include to reach those headers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "scheduler/cluster_query.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <regex>
#include <vector>

#include "base/civil_time.h"

namespace wharf::scheduler {
namespace {

constexpr size_t kMaxExpressionLength = 2000;  // PlacementConstraint.expression's limit

enum class Subject { kAttribute, kTaskGroup, kEc2InstanceId, kRegisteredAt, kRunningTasksCount,
                     kAgentConnected, kAgentVersion };
enum class Op { kEq, kNe, kGt, kGe, kLt, kLe, kExists, kNotExists, kIn, kNotIn, kMatches,
                kNotMatches };

bool IsNegative(Op op) { return op == Op::kNe || op == Op::kNotIn || op == Op::kNotMatches; }
bool IsOrdering(Op op) { return op == Op::kGt || op == Op::kGe || op == Op::kLt || op == Op::kLe; }

// The operators the AWS guide lists for each subject (attribute and task:group: all but the
// orderings for task:group, which has no single value to order).
bool OperatorAllowed(Subject s, Op op) {
  switch (s) {
    case Subject::kAttribute:
      return true;
    case Subject::kTaskGroup:
      return !IsOrdering(op);
    case Subject::kEc2InstanceId:
    case Subject::kAgentConnected:
      return op == Op::kEq || op == Op::kNe || op == Op::kIn || op == Op::kNotIn ||
             op == Op::kMatches || op == Op::kNotMatches;
    case Subject::kRegisteredAt:
    case Subject::kRunningTasksCount:
    case Subject::kAgentVersion:
      return op == Op::kEq || op == Op::kNe || IsOrdering(op);
  }
  return false;
}

std::optional<double> AsNumber(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "1.14.5" -> {1, 14, 5}; nullopt unless digits separated by single dots.
std::optional<std::vector<int64_t>> AsVersion(std::string_view s) {
  std::vector<int64_t> parts;
  size_t i = 0;
  while (true) {
    size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j == i || j - i > 18) return std::nullopt;
    int64_t v = 0;
    std::from_chars(s.data() + i, s.data() + j, v);
    parts.push_back(v);
    if (j == s.size()) return parts;
    if (s[j] != '.') return std::nullopt;
    i = j + 1;
  }
}

// <0, 0, >0 as a is below, equal to or above b.
int CompareValues(std::string_view a, std::string_view b) {
  auto na = AsNumber(a), nb = AsNumber(b);
  if (na && nb) return *na < *nb ? -1 : (*na > *nb ? 1 : 0);
  auto va = AsVersion(a), vb = AsVersion(b);
  if (va && vb) {
    size_t n = std::max(va->size(), vb->size());
    for (size_t i = 0; i < n; ++i) {
      int64_t x = i < va->size() ? (*va)[i] : 0, y = i < vb->size() ? (*vb)[i] : 0;
      if (x != y) return x < y ? -1 : 1;
    }
    return 0;
  }
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool Ordered(int cmp, Op op) {
  switch (op) {
    case Op::kEq: return cmp == 0;
    case Op::kNe: return cmp != 0;
    case Op::kGt: return cmp > 0;
    case Op::kGe: return cmp >= 0;
    case Op::kLt: return cmp < 0;
    case Op::kLe: return cmp <= 0;
    default: return false;
  }
}

// The four formats the guide lists for registeredAt; seconds since the epoch.
std::optional<int64_t> ParseDate(std::string_view s) {
  auto num = [&](size_t pos, size_t len) -> std::optional<int> {
    if (pos + len > s.size()) return std::nullopt;
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2);
  if (!y || !mo || !d || s[4] != '-' || s[7] != '-' || *mo < 1 || *mo > 12 || *d < 1 || *d > 31)
    return std::nullopt;
  int64_t t = DaysFromCivil(*y, *mo, *d) * 86400;
  if (s.size() == 10) return t;
  auto h = num(11, 2), mi = num(14, 2), se = num(17, 2);
  if (s[10] != 'T' || !h || !mi || !se || s[13] != ':' || s[16] != ':' || *h > 23 || *mi > 59 ||
      *se > 60)
    return std::nullopt;
  t += *h * 3600 + *mi * 60 + *se;
  std::string_view zone = s.substr(19);
  if (zone.empty() || zone == "Z") return t;
  auto zh = num(20, 2), zm = num(23, 2);
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' || !zh || !zm)
    return std::nullopt;
  int64_t offset = *zh * 3600 + *zm * 60;
  return zone[0] == '+' ? t - offset : t + offset;
}

}  // namespace

struct ClusterQuery::Node {
  enum class Kind { kAnd, kOr, kNot, kCompare } kind = Kind::kCompare;
  std::vector<std::shared_ptr<const Node>> children;
  // kCompare:
  Subject subject = Subject::kAttribute;
  std::string attribute;  // for kAttribute
  Op op = Op::kEq;
  std::vector<std::string> values;  // one, or the in-list
  std::shared_ptr<const std::regex> pattern;
  int64_t number = 0;  // registeredAt (seconds) or runningTasksCount

  bool Eval(const Instance& in) const;
  bool CompareOne(std::string_view actual) const;
};

bool ClusterQuery::Node::CompareOne(std::string_view actual) const {
  switch (op) {
    case Op::kEq: case Op::kNe: return (actual == values[0]) == (op == Op::kEq);
    case Op::kIn: case Op::kNotIn: {
      bool found = std::find(values.begin(), values.end(), actual) != values.end();
      return found == (op == Op::kIn);
    }
    case Op::kMatches: case Op::kNotMatches: {
      bool m = false;
      try {
        m = std::regex_match(actual.begin(), actual.end(), *pattern);
      } catch (const std::regex_error&) {  // runaway backtracking: treat as no match
        m = false;
      }
      return m == (op == Op::kMatches);
    }
    default: return Ordered(CompareValues(actual, values[0]), op);
  }
}

bool ClusterQuery::Node::Eval(const Instance& in) const {
  switch (kind) {
    case Kind::kAnd:
      for (const auto& c : children) if (!c->Eval(in)) return false;
      return true;
    case Kind::kOr:
      for (const auto& c : children) if (c->Eval(in)) return true;
      return false;
    case Kind::kNot:
      return !children[0]->Eval(in);
    case Kind::kCompare:
      break;
  }
  switch (subject) {
    case Subject::kAttribute: {
      auto it = in.attributes.find(attribute);
      if (op == Op::kExists || op == Op::kNotExists)
        return (it != in.attributes.end()) == (op == Op::kExists);
      if (it == in.attributes.end()) return false;  // negatives too: the guide's != example
      return CompareOne(it->second);
    }
    case Subject::kTaskGroup: {
      if (op == Op::kExists || op == Op::kNotExists)
        return !in.task_groups.empty() == (op == Op::kExists);
      if (in.task_groups.empty()) return false;
      if (IsNegative(op)) {  // none of its tasks is in the group
        for (const auto& g : in.task_groups) if (!CompareOne(g)) return false;
        return true;
      }
      for (const auto& g : in.task_groups) if (CompareOne(g)) return true;
      return false;
    }
    case Subject::kEc2InstanceId:
      if (in.ec2_instance_id.empty()) return op == Op::kNotExists;
      return op == Op::kExists || CompareOne(in.ec2_instance_id);
    case Subject::kAgentConnected:
      return CompareOne(in.agent_connected ? "true" : "false");
    case Subject::kAgentVersion:
      if (in.agent_version.empty()) return false;
      return CompareOne(in.agent_version);
    case Subject::kRegisteredAt: {
      int64_t a = in.registered_at;
      return Ordered(a < number ? -1 : (a > number ? 1 : 0), op);
    }
    case Subject::kRunningTasksCount: {
      auto a = static_cast<int64_t>(in.task_groups.size());
      return Ordered(a < number ? -1 : (a > number ? 1 : 0), op);
    }
  }
  return false;
}

namespace {

using Node = ClusterQuery::Node;
using NodePtr = std::shared_ptr<const Node>;

// Recursive descent over the expression text; errors carry the position for the user.
class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<NodePtr> ParseAll() {
    ASSIGN_OR_RETURN(NodePtr root, ParseOr());
    SkipSpace();
    if (pos_ != s_.size()) return Error("unexpected '" + std::string(s_.substr(pos_, 20)) + "'");
    return root;
  }
  bool depends_on_tasks() const { return depends_on_tasks_; }

 private:
  static bool IsDelimiter(char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == '[' ||
           c == ']' || c == ',' || c == '=' || c == '!' || c == '<' || c == '>' || c == '~' ||
           c == '\'' || c == '"' || c == '&' || c == '|';
  }

  Status Error(const std::string& what) const {
    return Status::InvalidArgument("Invalid expression '" + std::string(s_) + "' at position " +
                                   std::to_string(pos_) + ": " + what);
  }
  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  // Consumes `word` (case-insensitive) when it stands alone there.
  bool TakeKeyword(std::string_view word) {
    SkipSpace();
    if (s_.size() - pos_ < word.size()) return false;
    for (size_t i = 0; i < word.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(s_[pos_ + i])) != word[i]) return false;
    size_t end = pos_ + word.size();
    if (end < s_.size() && !IsDelimiter(s_[end])) return false;
    pos_ = end;
    return true;
  }
  bool TakeSymbol(std::string_view sym) {
    SkipSpace();
    if (s_.substr(pos_, sym.size()) != sym) return false;
    pos_ += sym.size();
    return true;
  }
  std::string ReadWord() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < s_.size() && !IsDelimiter(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  Result<NodePtr> Combine(Node::Kind kind, std::vector<NodePtr> parts) {
    if (parts.size() == 1) return parts[0];
    auto n = std::make_shared<Node>();
    n->kind = kind;
    n->children = std::move(parts);
    return NodePtr(n);
  }
  Result<NodePtr> ParseOr() {
    std::vector<NodePtr> parts;
    do {
      ASSIGN_OR_RETURN(NodePtr p, ParseAnd());
      parts.push_back(std::move(p));
    } while (TakeKeyword("or") || TakeSymbol("||"));
    return Combine(Node::Kind::kOr, std::move(parts));
  }
  Result<NodePtr> ParseAnd() {
    std::vector<NodePtr> parts;
    do {
      ASSIGN_OR_RETURN(NodePtr p, ParseFactor());
      parts.push_back(std::move(p));
    } while (TakeKeyword("and") || TakeSymbol("&&"));
    return Combine(Node::Kind::kAnd, std::move(parts));
  }
  Result<NodePtr> ParseFactor() {
    if (++depth_ > 100) return Error("nested too deeply");
    struct Leave { int& d; ~Leave() { --d; } } leave{depth_};
    SkipSpace();
    if (TakeKeyword("not") || (pos_ < s_.size() && s_[pos_] == '!' && TakeSymbol("!"))) {
      ASSIGN_OR_RETURN(NodePtr inner, ParseFactor());
      auto n = std::make_shared<Node>();
      n->kind = Node::Kind::kNot;
      n->children.push_back(std::move(inner));
      return NodePtr(n);
    }
    if (TakeSymbol("(")) {
      ASSIGN_OR_RETURN(NodePtr inner, ParseOr());
      if (!TakeSymbol(")")) return Error("expected ')'");
      return inner;
    }
    return ParseSimple();
  }

  Result<Subject> ParseSubject(const std::string& word, std::string* attribute) {
    static constexpr std::string_view kAttr = "attribute:";
    if (word.rfind(kAttr, 0) == 0) {
      *attribute = word.substr(kAttr.size());
      if (attribute->empty()) return Error("attribute name missing");
      return Subject::kAttribute;
    }
    if (word == "task:group") { depends_on_tasks_ = true; return Subject::kTaskGroup; }
    if (word == "ec2InstanceId") return Subject::kEc2InstanceId;
    if (word == "registeredAt") return Subject::kRegisteredAt;
    if (word == "runningTasksCount") { depends_on_tasks_ = true; return Subject::kRunningTasksCount; }
    if (word == "agentConnected") return Subject::kAgentConnected;
    if (word == "agentVersion") return Subject::kAgentVersion;
    if (word.empty()) return Error("expected a subject");
    return Error("unknown subject '" + word + "'");
  }

  Result<Op> ParseOperator() {
    SkipSpace();
    // Longest symbols first.
    static const std::pair<std::string_view, Op> kSymbols[] = {
        {"!exists", Op::kNotExists}, {"!in", Op::kNotIn}, {"==", Op::kEq}, {"!=", Op::kNe},
        {">=", Op::kGe}, {"<=", Op::kLe}, {"=~", Op::kMatches}, {"!~", Op::kNotMatches},
        {">", Op::kGt}, {"<", Op::kLt}};
    for (const auto& [sym, op] : kSymbols) {
      if (s_.substr(pos_, sym.size()) != sym) continue;
      size_t end = pos_ + sym.size();
      if (std::isalpha(static_cast<unsigned char>(sym.back())) && end < s_.size() &&
          !IsDelimiter(s_[end]))
        continue;  // "!inside" is no operator
      pos_ = end;
      return op;
    }
    static const std::pair<std::string_view, Op> kWords[] = {
        {"equals", Op::kEq}, {"not_equals", Op::kNe}, {"greater_than", Op::kGt},
        {"greater_than_equal", Op::kGe}, {"less_than", Op::kLt}, {"less_than_equal", Op::kLe},
        {"exists", Op::kExists}, {"not_exists", Op::kNotExists}, {"in", Op::kIn},
        {"not_in", Op::kNotIn}, {"matches", Op::kMatches}, {"not_matches", Op::kNotMatches}};
    size_t save = pos_;
    std::string word = ReadWord();
    for (const auto& [w, op] : kWords)
      if (word == w) return op;
    pos_ = save;
    return Error(word.empty() ? "expected an operator" : "unknown operator '" + word + "'");
  }

  // A bare value runs to white space; a regex may hold balanced parentheses.
  Result<std::string> ParseValue(bool regex, bool in_list) {
    SkipSpace();
    if (pos_ < s_.size() && (s_[pos_] == '\'' || s_[pos_] == '"')) {
      char q = s_[pos_++];
      size_t end = s_.find(q, pos_);
      if (end == std::string_view::npos) return Error("unterminated quote");
      std::string v(s_.substr(pos_, end - pos_));
      pos_ = end + 1;
      return v;
    }
    size_t start = pos_;
    int parens = 0;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (std::isspace(static_cast<unsigned char>(c))) break;
      if (in_list && (c == ',' || c == ']')) break;
      if (c == ')' && parens == 0) break;
      if (regex && c == '(') ++parens;
      else if (regex && c == ')') --parens;
      else if (!regex && (c == '(' || c == '[' || c == ']')) break;
      ++pos_;
    }
    if (pos_ == start) return Error("expected a value");
    return std::string(s_.substr(start, pos_ - start));
  }

  Result<NodePtr> ParseSimple() {
    auto n = std::make_shared<Node>();
    std::string word = ReadWord();
    ASSIGN_OR_RETURN(n->subject, ParseSubject(word, &n->attribute));
    ASSIGN_OR_RETURN(n->op, ParseOperator());
    if (!OperatorAllowed(n->subject, n->op)) return Error("operator not valid for " + word);
    bool regex = n->op == Op::kMatches || n->op == Op::kNotMatches;
    if (n->op == Op::kExists || n->op == Op::kNotExists) {
      // no argument
    } else if (n->op == Op::kIn || n->op == Op::kNotIn) {
      if (!TakeSymbol("[")) return Error("expected '[' to open the argument list");
      do {
        ASSIGN_OR_RETURN(std::string v, ParseValue(false, true));
        n->values.push_back(std::move(v));
      } while (TakeSymbol(","));
      if (!TakeSymbol("]")) return Error("expected ']' to close the argument list");
    } else {
      ASSIGN_OR_RETURN(std::string v, ParseValue(regex, false));
      n->values.push_back(std::move(v));
    }
    if (regex) {
      try {
        n->pattern = std::make_shared<const std::regex>(n->values[0], std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return Error("invalid regular expression '" + n->values[0] + "'");
      }
    }
    if (n->subject == Subject::kRegisteredAt) {
      auto t = ParseDate(n->values[0]);
      if (!t) return Error("invalid date '" + n->values[0] + "'");
      n->number = *t;
    } else if (n->subject == Subject::kRunningTasksCount) {
      const std::string& v = n->values[0];
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n->number);
      if (ec != std::errc() || end != v.data() + v.size()) return Error("invalid count '" + v + "'");
    }
    return NodePtr(n);
  }

  std::string_view s_;
  size_t pos_ = 0;
  int depth_ = 0;
  bool depends_on_tasks_ = false;
};

}  // namespace

Result<ClusterQuery> ClusterQuery::Parse(std::string_view expression) {
  if (expression.size() > kMaxExpressionLength)
    return Status::InvalidArgument("Invalid expression: longer than 2000 characters");
  Parser parser(expression);
  auto root = parser.ParseAll();
  if (!root.ok()) return root.status();
  ClusterQuery q;
  q.expression_ = std::string(expression);
  q.root_ = std::move(root).value();
  q.depends_on_tasks_ = parser.depends_on_tasks();
  return q;
}

bool ClusterQuery::Matches(const Instance& instance) const { return root_->Eval(instance); }

}  // namespace wharf::scheduler
