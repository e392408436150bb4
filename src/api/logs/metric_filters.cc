// PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter, TestMetricFilter, and the data
// a group's filters make of the events PutLogEvents takes.
//
// A filter is a record under logs/metricfilters/<group>/<name> holding AWS's MetricFilter
// shape; PutLogEvents reads the group's filters and puts what the accepted events give into
// the region's metric store (CloudWatch's), once the events are on disk.
#include "api/logs/metric_filters.h"

#include <map>
#include <tuple>

#include "api/logs/handlers.h"
#include "logs/filter_pattern.h"
#include "logs/metric_filter.h"
#include "model/keys.h"
#include "store/update.h"

namespace wharf::api::logs {
namespace json = boost::json;

namespace {

constexpr size_t kMaxFiltersPerGroup = 100;  // AWS's quota, per log group
constexpr int64_t kDefaultDescribeLimit = 50;

std::string FilterKey(std::string_view group, std::string_view filter) {
  return model::keys::LogMetricFilterKey(group, filter);
}

wharf::logs::MetricTransformation ReadTransformation(const object& t) {
  wharf::logs::MetricTransformation out;
  out.metric_name = GetString(t, "metricName");
  out.metric_namespace = GetString(t, "metricNamespace");
  out.metric_value = GetString(t, "metricValue");
  if (const auto* d = t.if_contains("defaultValue"); d && d->is_number()) out.default_value = d->to_number<double>();
  for (const auto& [name, value] : GetObject(t, "dimensions")) {
    if (value.is_string()) out.dimensions.emplace_back(std::string(name), std::string(value.get_string()));
  }
  out.unit = GetString(t, "unit", "None");
  return out;
}

AwsError FilterNotFound() {
  return AwsError::Client("ResourceNotFoundException", "The specified metric filter does not exist.");
}

AwsError Aborted() {
  return AwsError::Server("OperationAbortedException", "Multiple concurrent requests to update the same resource.");
}

}  // namespace

Outcome PutMetricFilter(const LogsDeps& deps, const RequestContext&, object& in) {
  // Transformed logs and field selection belong to log transformers and entity data, which
  // wharf does not have: refused rather than ignored.
  if (GetBool(in, "applyOnTransformedLogs").value_or(false)) {
    return InvalidParameter("applyOnTransformedLogs is not supported (wharf has no log transformers).");
  }
  if (Has(in, "fieldSelectionCriteria")) return InvalidParameter("fieldSelectionCriteria is not supported.");
  if (!GetArray(in, "emitSystemFieldDimensions").empty()) {
    return InvalidParameter("emitSystemFieldDimensions is not supported.");
  }
  const std::string group = GetString(in, "logGroupName"), name = GetString(in, "filterName");
  const std::string pattern_text = GetString(in, "filterPattern");
  auto pattern = wharf::logs::FilterPattern::Parse(pattern_text);
  if (!pattern.ok()) return LogsError(pattern.status());
  const json::array& transformations = GetArray(in, "metricTransformations");
  if (transformations.size() != 1 || !transformations[0].is_object()) {
    return InvalidParameter("metricTransformations must hold exactly one transformation.");
  }
  Status checked = wharf::logs::CheckTransformation(ReadTransformation(transformations[0].get_object()));
  if (!checked.ok()) return LogsError(checked);
  object transformation = transformations[0].get_object();
  if (!Has(transformation, "unit")) transformation["unit"] = "None";  // as DescribeMetricFilters shows it

  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
           auto loaded = LoadGroup(deps, group);
           if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
           auto existing = deps.store.List(model::keys::LogMetricFiltersPrefix(group), "", 0);
           if (!existing.ok()) return LogsError(existing.status());
           int64_t revision = 0;
           for (const auto& kv : existing->items) {
             if (kv.key == FilterKey(group, name)) revision = kv.mod_revision;
           }
           if (revision == 0 && existing->items.size() >= kMaxFiltersPerGroup) {
             return AwsError::Client("LimitExceededException", "Resource limit exceeded.");
           }
           object record{{"filterName", name},
                         {"filterPattern", pattern_text},
                         {"metricTransformations", json::array{transformation}},
                         {"creationTime", NowMs(deps)},
                         {"logGroupName", group},
                         {"applyOnTransformedLogs", false}};
           store::Txn txn;
           txn.compares.push_back({GroupKey(group), std::get<GroupRecord>(loaded).mod_revision});
           txn.compares.push_back({FilterKey(group, name), revision});
           txn.ops.push_back(store::Op::Put(FilterKey(group, name), Serialize(record)));
           auto committed = deps.store.Commit(txn);
           if (!committed.ok()) return LogsError(committed.status());
           if (!committed->succeeded) return store::kConflict;
           return object{};
         })
      .value_or(Aborted());
}

Outcome DescribeMetricFilters(const LogsDeps& deps, const RequestContext&, object& in) {
  const std::string group = GetString(in, "logGroupName");
  const std::string prefix = GetString(in, "filterNamePrefix");
  if (!prefix.empty() && group.empty()) {
    return InvalidParameter("filterNamePrefix requires logGroupName.");
  }
  if (Has(in, "metricName") != Has(in, "metricNamespace")) {
    return InvalidParameter("metricName and metricNamespace must be specified together.");
  }
  if (!group.empty()) {
    auto loaded = LoadGroup(deps, group);
    if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  }
  std::string list_prefix = group.empty() ? std::string(model::keys::kLogMetricFilters)
                                          : model::keys::LogMetricFiltersPrefix(group) + prefix;
  std::string start_after;
  if (Has(in, "nextToken")) {
    auto key = DecodeToken(GetString(in, "nextToken"));
    if (!key || !key->starts_with(list_prefix)) return InvalidParameter("The specified nextToken is invalid.");
    start_after = *key;
  }
  const size_t limit = static_cast<size_t>(GetInt(in, "limit").value_or(kDefaultDescribeLimit));
  const std::string metric_name = GetString(in, "metricName"), metric_namespace = GetString(in, "metricNamespace");
  json::array filters;
  std::string last;
  for (;;) {
    auto page = deps.store.List(list_prefix, start_after, 200);
    if (!page.ok()) return LogsError(page.status());
    for (const auto& kv : page->items) {
      start_after = kv.key;
      if (filters.size() == limit) {
        return object{{"metricFilters", std::move(filters)}, {"nextToken", EncodeToken(last)}};
      }
      auto record = ParseObject(kv.value);
      if (!record.ok()) return LogsError(record.status());
      if (!metric_name.empty()) {
        const json::array& ts = GetArray(*record, "metricTransformations");
        bool wanted = false;
        for (const auto& t : ts) {
          wanted |= t.is_object() && GetString(t.get_object(), "metricName") == metric_name &&
                    GetString(t.get_object(), "metricNamespace") == metric_namespace;
        }
        if (!wanted) continue;
      }
      filters.push_back(std::move(record).value());
      last = kv.key;
    }
    if (!page->more) break;
  }
  return object{{"metricFilters", std::move(filters)}};
}

Outcome DeleteMetricFilter(const LogsDeps& deps, const RequestContext&, object& in) {
  const std::string group = GetString(in, "logGroupName"), name = GetString(in, "filterName");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
           auto loaded = LoadGroup(deps, group);
           if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
           auto kv = deps.store.Get(FilterKey(group, name));
           if (!kv.ok()) return LogsError(kv.status());
           if (!*kv) return FilterNotFound();
           store::Txn txn;
           txn.compares.push_back({FilterKey(group, name), (*kv)->mod_revision});
           txn.ops.push_back(store::Op::Delete(FilterKey(group, name)));
           auto committed = deps.store.Commit(txn);
           if (!committed.ok()) return LogsError(committed.status());
           if (!committed->succeeded) return store::kConflict;
           return object{};
         })
      .value_or(Aborted());
}

Outcome TestMetricFilter(const LogsDeps&, const RequestContext&, object& in) {
  auto pattern = wharf::logs::FilterPattern::Parse(GetString(in, "filterPattern"));
  if (!pattern.ok()) return LogsError(pattern.status());
  json::array matches;
  int64_t number = 0;
  for (const auto& m : GetArray(in, "logEventMessages")) {
    ++number;
    if (!m.is_string()) continue;
    auto captures = pattern->Capture(m.get_string());
    if (!captures) continue;
    object extracted;
    for (const auto& [field, value] : captures->fields) extracted[field] = value;
    matches.push_back(object{{"eventNumber", number}, {"eventMessage", m.get_string()}, {"extractedValues", std::move(extracted)}});
  }
  return object{{"matches", std::move(matches)}};
}

Result<std::vector<metrics::Datum>> MetricFilterData(const LogsDeps& deps, const std::string& group,
                                                     const std::vector<wharf::logs::InputEvent>& events,
                                                     size_t begin, size_t end) {
  std::vector<metrics::Datum> data;
  if (!deps.metrics) return data;
  std::map<std::tuple<std::string, std::string, int64_t>, size_t> index;  // (metric, unit, minute) -> data[i]
  ASSIGN_OR_RETURN(auto filters, deps.store.List(model::keys::LogMetricFiltersPrefix(group), "", 0));
  for (const auto& kv : filters.items) {
    ASSIGN_OR_RETURN(auto record, ParseObject(kv.value));
    auto pattern = wharf::logs::FilterPattern::Parse(GetString(record, "filterPattern"));
    if (!pattern.ok()) continue;  // PutMetricFilter parsed it; a record from elsewhere is skipped
    for (const auto& t : GetArray(record, "metricTransformations")) {
      if (!t.is_object()) continue;
      const auto transformation = ReadTransformation(t.get_object());
      for (size_t i = begin; i < end; ++i) {
        auto d = wharf::logs::ExtractDatum(*pattern, transformation, events[i].message);
        if (!d) continue;
        std::vector<metrics::Dimension> dims;
        for (auto& [name, value] : d->dimensions) dims.push_back({std::move(name), std::move(value)});
        auto id = metrics::MakeMetricId(transformation.metric_namespace, transformation.metric_name, std::move(dims));
        int64_t second = events[i].timestamp / 1000;
        // One datum per metric and minute: the store would merge them into that bucket anyway,
        // and a batch of 10,000 events then journals a few records, not 10,000.
        auto [at, added] = index.try_emplace(std::make_tuple(id.Key(), transformation.unit, second - second % 60),
                                             data.size());
        if (added) {
          metrics::Datum datum;
          datum.id = std::move(id);
          datum.unit = transformation.unit;
          datum.timestamp = second;
          data.push_back(std::move(datum));
        }
        data[at->second].sample.AddValue(d->value, 1);
      }
    }
  }
  return data;
}

}  // namespace wharf::api::logs
