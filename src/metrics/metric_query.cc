#include "metrics/metric_query.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <variant>

namespace wharf::metrics {

TimeSeries ReadStat(const MetricStore& store, const MetricStat& stat, int64_t start, int64_t end) {
  TimeSeries out;
  // Without a unit, every unit of a period counts together.
  std::map<int64_t, Sample> merged;
  for (auto& p : store.Read(stat.metric, stat.unit, start, end, stat.period)) merged[p.start].Merge(p.sample);
  for (const auto& [t, sample] : merged) {
    if (auto v = Compute(stat.stat, sample)) {
      out.timestamps.push_back(t);
      out.values.push_back(*v);
    }
  }
  return out;
}

namespace {

struct Array {
  std::vector<TimeSeries> series;
};
using Value = std::variant<double, TimeSeries, Array>;

// Expression text -> value, by recursive descent.
class Evaluator {
 public:
  Evaluator(std::string_view text, const std::map<std::string, QueryResult>& results, std::string_view self)
      : text_(text), results_(results), self_(self) {}

  Result<Value> Run() {
    ASSIGN_OR_RETURN(Value v, Sum());
    Skip();
    if (pos_ != text_.size()) return Error("unexpected '" + std::string(text_.substr(pos_, 1)) + "'");
    return v;
  }

 private:
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("Error in expression '" + std::string(self_) + "': " + what + " at position " +
                                   std::to_string(pos_));
  }
  void Skip() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Eat(char c) {
    Skip();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  Result<Value> Sum() {
    ASSIGN_OR_RETURN(Value left, Product());
    while (true) {
      if (Eat('+')) {
        ASSIGN_OR_RETURN(Value right, Product());
        ASSIGN_OR_RETURN(left, Combine(left, right, '+'));
      } else if (Eat('-')) {
        ASSIGN_OR_RETURN(Value right, Product());
        ASSIGN_OR_RETURN(left, Combine(left, right, '-'));
      } else {
        return left;
      }
    }
  }
  Result<Value> Product() {
    ASSIGN_OR_RETURN(Value left, Unary());
    while (true) {
      if (Eat('*')) {
        ASSIGN_OR_RETURN(Value right, Unary());
        ASSIGN_OR_RETURN(left, Combine(left, right, '*'));
      } else if (Eat('/')) {
        ASSIGN_OR_RETURN(Value right, Unary());
        ASSIGN_OR_RETURN(left, Combine(left, right, '/'));
      } else {
        return left;
      }
    }
  }
  Result<Value> Unary() {
    if (Eat('-')) {
      ASSIGN_OR_RETURN(Value v, Unary());
      return Combine(Value(0.0), v, '-');
    }
    return Primary();
  }
  Result<Value> Primary() {
    if (++depth_ > 64) return Error("the expression is nested too deeply");
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    Skip();
    if (pos_ >= text_.size()) return Error("unexpected end of the expression");
    char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      ASSIGN_OR_RETURN(Value v, Sum());
      if (!Eat(')')) return Error("expected ')'");
      return v;
    }
    if (c == '[') {
      ++pos_;
      Array a;
      if (!Eat(']')) {
        do {
          ASSIGN_OR_RETURN(Value v, Sum());
          if (auto* s = std::get_if<TimeSeries>(&v)) a.series.push_back(std::move(*s));
          else if (auto* arr = std::get_if<Array>(&v)) for (auto& s2 : arr->series) a.series.push_back(std::move(s2));
          else return Error("an array holds time series, not numbers");
        } while (Eat(','));
        if (!Eat(']')) return Error("expected ']'");
      }
      return Value(std::move(a));
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      size_t used = 0;
      double v = 0;
      try {
        v = std::stod(std::string(text_.substr(pos_)), &used);
      } catch (const std::exception&) {
        return Error("bad number");
      }
      pos_ += used;
      return Value(v);
    }
    if (std::isalpha(static_cast<unsigned char>(c))) {
      size_t begin = pos_;
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) ++pos_;
      std::string name(text_.substr(begin, pos_ - begin));
      if (Eat('(')) return Function(name);
      auto it = results_.find(name);
      if (it == results_.end() || name == self_) return Error("Unrecognized metric or expression id '" + name + "'");
      return Value(it->second.series);
    }
    return Error("unexpected '" + std::string(1, c) + "'");
  }

  Result<Value> Function(const std::string& name) {
    if (name == "METRICS") {
      std::string filter;
      Skip();
      if (pos_ < text_.size() && text_[pos_] == '"') {
        size_t close = text_.find('"', pos_ + 1);
        if (close == std::string_view::npos) return Error("unterminated string");
        filter = std::string(text_.substr(pos_ + 1, close - pos_ - 1));
        pos_ = close + 1;
      }
      if (!Eat(')')) return Error("expected ')'");
      Array a;
      for (const auto& [id, r] : results_) {
        if (!r.metric) continue;
        if (filter.empty() || id.find(filter) != std::string::npos || r.label.find(filter) != std::string::npos) {
          a.series.push_back(r.series);
        }
      }
      return Value(std::move(a));
    }
    if (name != "SUM" && name != "AVG" && name != "MIN" && name != "MAX") {
      return Error("Unsupported function " + name + " (wharf evaluates SUM, AVG, MIN, MAX and METRICS)");
    }
    ASSIGN_OR_RETURN(Value arg, Sum());
    if (!Eat(')')) return Error("expected ')'");
    auto fold = [&](const std::vector<double>& xs) {
      double acc = name == "MIN" ? std::numeric_limits<double>::infinity()
                 : name == "MAX" ? -std::numeric_limits<double>::infinity() : 0.0;
      for (double x : xs) {
        if (name == "MIN") acc = std::min(acc, x);
        else if (name == "MAX") acc = std::max(acc, x);
        else acc += x;
      }
      if (name == "AVG" && !xs.empty()) acc /= static_cast<double>(xs.size());
      return acc;
    };
    if (auto* s = std::get_if<TimeSeries>(&arg)) {
      if (s->values.empty()) return Value(std::nan(""));
      return Value(fold(s->values));
    }
    if (auto* a = std::get_if<Array>(&arg)) {
      std::map<int64_t, std::vector<double>> at;
      for (const auto& s : a->series) {
        for (size_t i = 0; i < s.timestamps.size(); ++i) at[s.timestamps[i]].push_back(s.values[i]);
      }
      TimeSeries out;
      for (const auto& [t, xs] : at) {
        out.timestamps.push_back(t);
        out.values.push_back(fold(xs));
      }
      return Value(std::move(out));
    }
    return Error(name + " takes a time series or an array");
  }

  static double Apply(double a, double b, char op) {
    switch (op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      default: return a / b;
    }
  }

  Result<Value> Combine(const Value& l, const Value& r, char op) {
    if (std::holds_alternative<Array>(l) || std::holds_alternative<Array>(r)) {
      // Element-wise over an array with a number or a series.
      const Array& a = std::holds_alternative<Array>(l) ? std::get<Array>(l) : std::get<Array>(r);
      if (std::holds_alternative<Array>(l) && std::holds_alternative<Array>(r)) return Error("arithmetic on two arrays");
      Array out;
      for (const auto& s : a.series) {
        ASSIGN_OR_RETURN(Value v, std::holds_alternative<Array>(l) ? Combine(Value(s), r, op) : Combine(l, Value(s), op));
        out.series.push_back(std::get<TimeSeries>(std::move(v)));
      }
      return Value(std::move(out));
    }
    if (auto* a = std::get_if<double>(&l)) {
      if (auto* b = std::get_if<double>(&r)) return Value(Apply(*a, *b, op));
      TimeSeries s = std::get<TimeSeries>(r);
      for (double& v : s.values) v = Apply(*a, v, op);
      return Value(std::move(s));
    }
    const TimeSeries& s = std::get<TimeSeries>(l);
    if (auto* b = std::get_if<double>(&r)) {
      TimeSeries out = s;
      for (double& v : out.values) v = Apply(v, *b, op);
      return Value(std::move(out));
    }
    const TimeSeries& t = std::get<TimeSeries>(r);
    TimeSeries out;
    size_t i = 0, j = 0;
    while (i < s.timestamps.size() && j < t.timestamps.size()) {
      if (s.timestamps[i] < t.timestamps[j]) {
        ++i;
      } else if (t.timestamps[j] < s.timestamps[i]) {
        ++j;
      } else {
        out.timestamps.push_back(s.timestamps[i]);
        out.values.push_back(Apply(s.values[i], t.values[j], op));
        ++i, ++j;
      }
    }
    return Value(std::move(out));
  }

  std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
  const std::map<std::string, QueryResult>& results_;
  std::string_view self_;
};

}  // namespace

Result<std::vector<QueryResult>> RunQueries(const MetricStore& store, const std::vector<Query>& queries,
                                            int64_t start, int64_t end) {
  std::map<std::string, QueryResult> results;
  // Metrics first, then expressions in the order given (an expression may use an earlier
  // one's result).
  for (const Query& q : queries) {
    if (!q.metric_stat) continue;
    QueryResult r{q.id, q.label.empty() ? q.metric_stat->metric.metric_name : q.label,
                  ReadStat(store, *q.metric_stat, start, end), true};
    results[q.id] = std::move(r);
  }
  for (const Query& q : queries) {
    if (q.metric_stat) continue;
    ASSIGN_OR_RETURN(Value v, Evaluator(q.expression, results, q.id).Run());
    QueryResult r{q.id, q.label.empty() ? q.id : q.label, {}};
    if (auto* s = std::get_if<TimeSeries>(&v)) {
      r.series = std::move(*s);
    } else if (std::holds_alternative<Array>(v)) {
      return Status::InvalidArgument("Error in expression '" + q.id + "': the expression gives an array of time series; "
                                     "wrap it in SUM, AVG, MIN or MAX");
    } else {
      return Status::InvalidArgument("Error in expression '" + q.id + "': the expression gives a number, not a time series");
    }
    results[q.id] = std::move(r);
  }
  std::vector<QueryResult> out;
  for (const Query& q : queries) out.push_back(results[q.id]);
  return out;
}

}  // namespace wharf::metrics
