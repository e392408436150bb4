#include "api/cloudwatch/common.h"

#include <set>

#include "metrics/metric_store.h"

namespace wharf::api::cloudwatch {

AwsError CloudWatchError(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument: return InvalidValue(status.message());
    case Status::Code::kNotFound: return AwsError{"ResourceNotFound", status.message(), 404, false};
    default: return AwsError::Server("InternalServiceError", status.message());
  }
}

AwsError InvalidValue(std::string message) { return AwsError::Client("InvalidParameterValue", std::move(message)); }
AwsError Missing(std::string parameter) {
  return AwsError::Client("MissingParameter", "The parameter " + parameter + " is required.");
}
AwsError Combination(std::string message) {
  return AwsError::Client("InvalidParameterCombination", std::move(message));
}
AwsError AlarmNotFound(const std::string& name) {
  return AwsError{"ResourceNotFound", "Alarm " + name + " not found", 404, false};
}
AwsError BadToken() { return AwsError::Client("InvalidNextToken", "The service cannot parse the NextToken."); }

int64_t NowSeconds(const CloudWatchDeps& deps) {
  return std::chrono::duration_cast<std::chrono::seconds>(deps.clock.Now().time_since_epoch()).count();
}

std::string AlarmArn(const CloudWatchDeps& deps, std::string_view name) {
  return "arn:aws:cloudwatch:" + deps.region + ":" + deps.account_id + ":alarm:" + std::string(name);
}

std::variant<std::vector<metrics::Dimension>, AwsError> ReadDimensions(const object& in, std::string_view key,
                                                                       const std::string& what) {
  std::vector<metrics::Dimension> out;
  const array& dims = GetArray(in, key);
  if (dims.size() > 30) return InvalidValue("The collection " + what + " must not have a size greater than 30.");
  std::set<std::string> names;
  for (const auto& d : dims) {
    if (!d.is_object()) continue;
    metrics::Dimension dim{GetString(d.get_object(), "Name"), GetString(d.get_object(), "Value")};
    if (!names.insert(dim.name).second) {
      return InvalidValue("No metric may have duplicate dimension names: " + what + " names " + dim.name + " twice.");
    }
    out.push_back(std::move(dim));
  }
  return out;
}

array DimensionsJson(const std::vector<metrics::Dimension>& dims) {
  array out;
  for (const auto& d : dims) out.push_back(object{{"Name", d.name}, {"Value", d.value}});
  return out;
}

std::optional<AwsError> CheckPeriod(int64_t period, const std::string& what) {
  if (period == 1 || period == 5 || period == 10 || period == 30 || (period > 0 && period % 60 == 0)) {
    return std::nullopt;
  }
  return InvalidValue("The parameter " + what + " must be a multiple of 60 or be 1, 5, 10, or 30.");
}

int64_t RoundStart(int64_t start, int64_t period, int64_t now) {
  int64_t unit = period < 60 ? period : std::max<int64_t>(60, metrics::RetainedResolution(now - start));
  if (unit <= 0) unit = 3600;
  int64_t q = start / unit;
  if (start % unit != 0 && start < 0) --q;
  return q * unit;
}

int64_t SecondsOf(const object& in, std::string_view key) {
  auto it = in.find(key);
  if (it == in.end() || !it->value().is_number()) return 0;
  return static_cast<int64_t>(std::floor(it->value().to_number<double>()));
}

std::string PageToken(size_t next) { return "wharf-page-" + std::to_string(next); }

std::variant<size_t, AwsError> PageOffset(const object& in) {
  if (!Has(in, "NextToken")) return size_t{0};
  std::string token = GetString(in, "NextToken");
  constexpr std::string_view kPrefix = "wharf-page-";
  if (!token.starts_with(kPrefix) || token.size() == kPrefix.size() || token.size() > kPrefix.size() + 12) return BadToken();
  size_t n = 0;
  for (char c : token.substr(kPrefix.size())) {
    if (c < '0' || c > '9') return BadToken();
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  return n;
}

}  // namespace wharf::api::cloudwatch
