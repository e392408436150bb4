// Metric filters as PutLogEvents applies them: the metric data a batch of events gives.
#pragma once

#include <string>
#include <vector>

#include "api/logs/common.h"
#include "logs/put_rules.h"
#include "metrics/metric_store.h"

namespace wharf::api::logs {

// The data the group's metric filters make of `events` (each at its event's timestamp,
// 60 s resolution, as PutMetricData would store it).
Result<std::vector<metrics::Datum>> MetricFilterData(const LogsDeps& deps, const std::string& group,
                                                     const std::vector<wharf::logs::InputEvent>& events,
                                                     size_t begin, size_t end);

}  // namespace wharf::api::logs
