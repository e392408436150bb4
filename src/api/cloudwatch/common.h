// Shared pieces of the CloudWatch handlers: errors in CloudWatch's Query codes, dimensions,
// periods, timestamps and page tokens.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "api/aws_error.h"
#include "api/cloudwatch/cloudwatch.h"
#include "api/json_util.h"
#include "metrics/sample.h"

namespace wharf::api::cloudwatch {

using boost::json::array;
using boost::json::object;

AwsError CloudWatchError(const Status& status);
AwsError InvalidValue(std::string message);        // InvalidParameterValue
AwsError Missing(std::string parameter);           // MissingParameter: "The parameter X is required."
AwsError Combination(std::string message);         // InvalidParameterCombination
AwsError AlarmNotFound(const std::string& name);   // ResourceNotFound
AwsError BadToken();                               // InvalidNextToken

int64_t NowSeconds(const CloudWatchDeps& deps);
std::string AlarmArn(const CloudWatchDeps& deps, std::string_view name);

// A Dimensions list: at most 30, each with a Name and Value, no name twice. `what` names the
// parameter in messages ("MetricData.member.1.Dimensions").
std::variant<std::vector<metrics::Dimension>, AwsError> ReadDimensions(const object& in, std::string_view key,
                                                                       const std::string& what);
array DimensionsJson(const std::vector<metrics::Dimension>& dims);

// Period: 1, 5, 10, 30 or a multiple of 60.
std::optional<AwsError> CheckPeriod(int64_t period, const std::string& what);
// The start of a query range as CloudWatch rounds it: to the period below a minute, else to
// the coarsest resolution still kept for data that old (a minute, 5 minutes, an hour).
int64_t RoundStart(int64_t start, int64_t period, int64_t now);
// A timestamp input (epoch seconds) as whole seconds.
int64_t SecondsOf(const object& in, std::string_view key);

// Offset page tokens.
std::string PageToken(size_t next);
std::variant<size_t, AwsError> PageOffset(const object& in);

}  // namespace wharf::api::cloudwatch
