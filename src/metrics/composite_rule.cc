#include "metrics/composite_rule.h"

#include <cctype>

namespace wharf::metrics {

namespace {

using Node = CompositeRule::Node;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<std::unique_ptr<Node>> Rule() {
    auto node = Or(0);
    if (!node) return Status::InvalidArgument(error_);
    Skip();
    if (pos_ != text_.size()) return Status::InvalidArgument(At("unexpected text"));
    return node;
  }
  std::set<std::string> alarms;

 private:
  void Skip() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  // The upper-case word at the cursor (not consumed).
  std::string_view Word() {
    Skip();
    size_t end = pos_;
    while (end < text_.size() && (std::isupper(static_cast<unsigned char>(text_[end])) || text_[end] == '_')) ++end;
    return text_.substr(pos_, end - pos_);
  }
  bool Eat(std::string_view word) {
    if (Word() != word) return false;
    pos_ += word.size();
    return true;
  }
  bool EatChar(char c) {
    Skip();
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  std::string At(std::string_view what) const {
    return "Error in AlarmRule at character " + std::to_string(pos_ + 1) + ": " + std::string(what) + ".";
  }
  std::unique_ptr<Node> Fail(std::string_view what) {
    if (error_.empty()) error_ = At(what);
    return nullptr;
  }

  std::unique_ptr<Node> Join(Node::Kind kind, std::string_view op, int depth) {
    auto first = kind == Node::Kind::kOr ? And(depth) : Not(depth);
    if (!first) return nullptr;
    std::vector<std::unique_ptr<Node>> args;
    args.push_back(std::move(first));
    while (Eat(op)) {
      auto next = kind == Node::Kind::kOr ? And(depth) : Not(depth);
      if (!next) return nullptr;
      args.push_back(std::move(next));
    }
    if (args.size() == 1) return std::move(args[0]);
    auto node = std::make_unique<Node>(Node{kind, {}, {}, {}});
    node->args = std::move(args);
    return node;
  }
  std::unique_ptr<Node> Or(int depth) { return Join(Node::Kind::kOr, "OR", depth); }
  std::unique_ptr<Node> And(int depth) { return Join(Node::Kind::kAnd, "AND", depth); }

  std::unique_ptr<Node> Not(int depth) {
    if (depth >= kMaxRuleDepth) return Fail("nested too deeply");
    if (Eat("NOT")) {
      auto inner = Not(depth + 1);
      if (!inner) return nullptr;
      auto node = std::make_unique<Node>(Node{Node::Kind::kNot, {}, {}, {}});
      node->args.push_back(std::move(inner));
      return node;
    }
    if (EatChar('(')) {
      auto inner = Or(depth + 1);
      if (!inner) return nullptr;
      if (!EatChar(')')) return Fail("expected )");
      return inner;
    }
    if (Eat("TRUE")) return std::make_unique<Node>(Node{Node::Kind::kTrue, {}, {}, {}});
    if (Eat("FALSE")) return std::make_unique<Node>(Node{Node::Kind::kFalse, {}, {}, {}});
    std::string_view state = Word();
    if (state != "ALARM" && state != "OK" && state != "INSUFFICIENT_DATA") {
      return Fail("expected ALARM(...), OK(...), INSUFFICIENT_DATA(...), TRUE, FALSE, NOT or (");
    }
    pos_ += state.size();
    if (!EatChar('(')) return Fail("expected ( after " + std::string(state));
    auto name = AlarmName();
    if (!name) return nullptr;
    if (!EatChar(')')) return Fail("expected ) after the alarm name");
    alarms.insert(*name);
    return std::make_unique<Node>(Node{Node::Kind::kState, std::string(state), std::move(*name), {}});
  }

  std::optional<std::string> AlarmName() {
    Skip();
    std::string_view raw;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      size_t close = text_.find('"', pos_ + 1);
      if (close == std::string_view::npos) {
        Fail("unterminated quoted alarm name");
        return std::nullopt;
      }
      raw = text_.substr(pos_ + 1, close - pos_ - 1);
      pos_ = close + 1;
    } else {
      size_t end = pos_;
      while (end < text_.size() && text_[end] != ')' && text_[end] != '(' &&
             !std::isspace(static_cast<unsigned char>(text_[end]))) {
        ++end;
      }
      raw = text_.substr(pos_, end - pos_);
      pos_ = end;
    }
    if (raw.starts_with("arn:")) {
      size_t at = raw.find(":alarm:");
      if (at == std::string_view::npos) {
        Fail("the ARN does not name a CloudWatch alarm");
        return std::nullopt;
      }
      raw.remove_prefix(at + 7);
    }
    if (raw.empty() || raw.size() > 255) {
      Fail("an alarm name must have 1 to 255 characters");
      return std::nullopt;
    }
    return std::string(raw);
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

bool Eval(const Node& n, const std::function<std::optional<std::string>(const std::string&)>& state_of) {
  switch (n.kind) {
    case Node::Kind::kTrue: return true;
    case Node::Kind::kFalse: return false;
    case Node::Kind::kState: {
      auto state = state_of(n.alarm);
      return state && *state == n.state;
    }
    case Node::Kind::kNot: return !Eval(*n.args[0], state_of);
    case Node::Kind::kAnd:
      for (const auto& a : n.args) {
        if (!Eval(*a, state_of)) return false;
      }
      return true;
    case Node::Kind::kOr:
      for (const auto& a : n.args) {
        if (Eval(*a, state_of)) return true;
      }
      return false;
  }
  return false;
}

}  // namespace

Result<CompositeRule> CompositeRule::Parse(std::string_view text) {
  if (text.empty() || text.size() > kMaxRuleLength) {
    return Status::InvalidArgument("AlarmRule must have 1 to " + std::to_string(kMaxRuleLength) + " characters.");
  }
  Parser parser(text);
  ASSIGN_OR_RETURN(auto root, parser.Rule());
  CompositeRule rule;
  rule.root_ = std::move(root);
  rule.alarms_ = std::move(parser.alarms);
  return rule;
}

bool CompositeRule::Evaluate(const std::function<std::optional<std::string>(const std::string&)>& state_of) const {
  return Eval(*root_, state_of);
}

}  // namespace wharf::metrics
