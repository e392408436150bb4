// The CloudWatch Logs operations, one function each.
#pragma once

#include "api/logs/common.h"

namespace wharf::api::logs {

#define WHARF_LOGS_OP(name) Outcome name(const LogsDeps& deps, const RequestContext& ctx, object& in)
// groups.cc
WHARF_LOGS_OP(CreateLogGroup);
WHARF_LOGS_OP(DeleteLogGroup);
WHARF_LOGS_OP(DescribeLogGroups);
WHARF_LOGS_OP(PutRetentionPolicy);
WHARF_LOGS_OP(DeleteRetentionPolicy);
WHARF_LOGS_OP(TagLogGroup);
WHARF_LOGS_OP(UntagLogGroup);
WHARF_LOGS_OP(ListTagsLogGroup);
WHARF_LOGS_OP(TagResource);
WHARF_LOGS_OP(UntagResource);
WHARF_LOGS_OP(ListTagsForResource);
WHARF_LOGS_OP(AssociateKmsKey);
WHARF_LOGS_OP(DisassociateKmsKey);
// streams.cc
WHARF_LOGS_OP(CreateLogStream);
WHARF_LOGS_OP(DeleteLogStream);
WHARF_LOGS_OP(DescribeLogStreams);
// events.cc
WHARF_LOGS_OP(GetLogEvents);
WHARF_LOGS_OP(FilterLogEvents);
// metric_filters.cc
WHARF_LOGS_OP(PutMetricFilter);
WHARF_LOGS_OP(DescribeMetricFilters);
WHARF_LOGS_OP(DeleteMetricFilter);
WHARF_LOGS_OP(TestMetricFilter);
void PutLogEvents(const LogsDeps& deps, const RequestContext& ctx, object& in, std::function<void(Outcome)> done);
#undef WHARF_LOGS_OP

}  // namespace wharf::api::logs
