// PutDashboard, GetDashboard, ListDashboards, DeleteDashboards.
//
// A dashboard is a record under cloudwatch/dashboards/<name>: {body, lastModified}. wharf
// draws nothing; it keeps the body and checks it as CloudWatch does at its simplest: a JSON
// object with a `widgets` array of objects, each with a `type` string.
#include <boost/json/parse.hpp>
#include <cctype>

#include "api/cloudwatch/handlers.h"
#include "base/clock.h"
#include "model/keys.h"
#include "store/update.h"

namespace wharf::api::cloudwatch {
namespace keys = model::keys;
namespace json = boost::json;

namespace {

constexpr size_t kListPage = 1000;  // ListDashboards' page, as AWS

AwsError InvalidInput(std::string message, array validation) {
  AwsError e = AwsError::Client("InvalidParameterInput", std::move(message));
  e.extra["dashboardValidationMessages"] = std::move(validation);
  return e;
}

object Validation(std::string path, std::string message) {
  return object{{"DataPath", std::move(path)}, {"Message", std::move(message)}};
}

std::optional<AwsError> CheckName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 255;
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
  if (ok) return std::nullopt;
  return InvalidInput("The value for field DashboardName contains invalid characters. It can only contain "
                      "alphanumerics, dash (-) and underscore (_).",
                      array{Validation("/DashboardName", "Invalid dashboard name")});
}

// The body's validation messages; empty when it is a dashboard.
array CheckBody(const std::string& body) {
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec) return array{Validation("/", "Should be a valid JSON object: " + ec.message())};
  if (!doc.is_object()) return array{Validation("/", "Should be object")};
  const json::value* widgets = doc.get_object().if_contains("widgets");
  if (!widgets) return array{Validation("/", "Should have required property 'widgets'")};
  if (!widgets->is_array()) return array{Validation("/widgets", "Should be array")};
  array out;
  for (size_t i = 0; i < widgets->get_array().size(); ++i) {
    const json::value& w = widgets->get_array()[i];
    std::string path = "/widgets/" + std::to_string(i);
    if (!w.is_object()) {
      out.push_back(Validation(path, "Should be object"));
    } else if (!w.get_object().contains("type")) {
      out.push_back(Validation(path, "Should have required property 'type'"));
    } else if (!w.get_object().at("type").is_string()) {
      out.push_back(Validation(path + "/type", "Should be string"));
    }
  }
  return out;
}

std::string DashboardArn(const CloudWatchDeps& deps, std::string_view name) {
  // Dashboards are global: no region in their ARN.
  return "arn:aws:cloudwatch::" + deps.account_id + ":dashboard/" + std::string(name);
}

}  // namespace

Outcome PutDashboard(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  if (!GetArray(in, "Tags").empty()) return InvalidValue("Tags on dashboards are not supported by wharf.");
  const std::string name = GetString(in, "DashboardName"), body = GetString(in, "DashboardBody");
  if (auto err = CheckName(name)) return *err;
  array problems = CheckBody(body);
  if (!problems.empty()) return InvalidInput("The field DashboardBody must be a valid JSON object", std::move(problems));
  object record{{"body", body}, {"lastModified", EpochSeconds(deps.clock.Now())}};
  auto done = store::Update(deps.store, [&](store::Draft& draft) -> Result<store::Decision<bool>> {
    draft.Put(keys::CloudWatchDashboardKey(name), Serialize(record));
    return store::Decision<bool>(store::Commit(true));
  });
  if (!done.ok()) return CloudWatchError(done.status());
  if (!*done) return AwsError::Client("ConflictException", "Too many concurrent updates of the dashboard; retry.");
  return object{{"DashboardValidationMessages", array{}}};
}

Outcome GetDashboard(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  const std::string name = GetString(in, "DashboardName");
  auto kv = deps.store.Get(keys::CloudWatchDashboardKey(name));
  if (!kv.ok()) return CloudWatchError(kv.status());
  if (!*kv) return AwsError{"ResourceNotFound", "Dashboard " + name + " does not exist", 404, false};
  auto record = ParseObject((*kv)->value);
  if (!record.ok()) return CloudWatchError(record.status());
  return object{{"DashboardArn", DashboardArn(deps, name)},
                {"DashboardBody", GetString(*record, "body")},
                {"DashboardName", name}};
}

Outcome ListDashboards(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  auto offset = PageOffset(in);
  if (auto* e = std::get_if<AwsError>(&offset)) return *e;
  const std::string prefix = std::string(keys::kCloudWatchDashboards) + GetString(in, "DashboardNamePrefix");
  auto items = deps.store.List(prefix, "", 0);
  if (!items.ok()) return CloudWatchError(items.status());
  const size_t from = std::get<size_t>(offset);
  array entries;
  for (size_t i = from; i < items->items.size() && i < from + kListPage; ++i) {
    const auto& kv = items->items[i];
    auto record = ParseObject(kv.value);
    if (!record.ok()) return CloudWatchError(record.status());
    std::string name = kv.key.substr(keys::kCloudWatchDashboards.size());
    entries.push_back(object{{"DashboardName", name},
                             {"DashboardArn", DashboardArn(deps, name)},
                             {"LastModified", record->at("lastModified")},
                             {"Size", static_cast<int64_t>(GetString(*record, "body").size())}});
  }
  object out{{"DashboardEntries", std::move(entries)}};
  if (from + kListPage < items->items.size()) out["NextToken"] = PageToken(from + kListPage);
  return out;
}

Outcome DeleteDashboards(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  const array& names = GetArray(in, "DashboardNames");
  if (names.empty()) return Missing("DashboardNames");
  auto done = store::Update(deps.store, [&](store::Draft& draft) -> Result<store::Decision<std::string>> {
    std::string missing;
    std::vector<std::string> found;
    for (const auto& n : names) {
      if (!n.is_string()) continue;
      std::string key = keys::CloudWatchDashboardKey(std::string(n.get_string()));
      ASSIGN_OR_RETURN(auto value, draft.Get(key));
      if (!value) missing += (missing.empty() ? "" : ", ") + std::string(n.get_string());
      else found.push_back(std::move(key));
    }
    // One missing dashboard fails the call and deletes nothing, as on AWS.
    if (!missing.empty()) return store::Decision<std::string>(missing);
    for (auto& key : found) draft.Delete(std::move(key));
    return store::Decision<std::string>(store::Commit(std::string()));
  });
  if (!done.ok()) return CloudWatchError(done.status());
  if (!*done) return AwsError::Client("ConflictException", "Too many concurrent updates of the dashboards; retry.");
  if (!(*done)->empty()) {
    return AwsError{"ResourceNotFound", "The specified dashboard does not exist. [" + **done + "]", 404, false};
  }
  return object{};
}

}  // namespace wharf::api::cloudwatch
