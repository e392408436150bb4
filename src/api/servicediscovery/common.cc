#include "api/servicediscovery/common.h"

#include <algorithm>
#include <set>

#include "base/crypto.h"

namespace wharf::api::servicediscovery {
namespace json = boost::json;

AwsError CloudMapError(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument: return InvalidInput(status.message());
    default: return AwsError::Server("InternalFailure", status.message());
  }
}

AwsError InvalidInput(std::string message) { return AwsError::Client("InvalidInput", std::move(message)); }
AwsError NamespaceNotFound() { return AwsError::Client("NamespaceNotFound", "No namespace exists with the specified ID."); }
AwsError ServiceNotFound() { return AwsError::Client("ServiceNotFound", "No service exists with the specified ID."); }
AwsError InstanceNotFound(const std::string& id) {
  return AwsError::Client("InstanceNotFound", "No instance exists with the specified ID, or the instance was recently "
                                              "registered, and information about the instance hasn't propagated yet: " +
                                                  id);
}
AwsError ResourceInUse(std::string message) { return AwsError::Client("ResourceInUse", std::move(message)); }
AwsError TooManyUpdates() {
  return AwsError::Client("DuplicateRequest", "Another request changed the same resource at the same time; retry.");
}

double Now(const CloudMapDeps& deps) { return EpochSeconds(deps.clock.Now()); }

std::string NewId(const CloudMapDeps& deps, std::string_view prefix) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string id(prefix);
  for (int i = 0; i < 16; ++i) id += kChars[deps.random.Next() % 36];
  return id;
}

std::string ResourceArn(const CloudMapDeps& deps, std::string_view kind, std::string_view id) {
  return "arn:aws:servicediscovery:" + deps.region + ":" + deps.account_id + ":" + std::string(kind) + "/" +
         std::string(id);
}

std::string IdOf(std::string_view id_or_arn) {
  if (!id_or_arn.starts_with("arn:")) return std::string(id_or_arn);
  size_t slash = id_or_arn.rfind('/');
  return slash == std::string_view::npos ? std::string(id_or_arn) : std::string(id_or_arn.substr(slash + 1));
}

namespace {
std::variant<StoredRecord, AwsError> Load(const CloudMapDeps& deps, const std::string& key, const AwsError& missing) {
  auto record = controlplane::ReadRecord(deps.store, key);
  if (!record.ok()) return CloudMapError(record.status());
  if (!*record) return missing;
  return std::move(**record);
}
}  // namespace

std::variant<StoredRecord, AwsError> LoadNamespace(const CloudMapDeps& deps, std::string_view id_or_arn) {
  std::string id = IdOf(id_or_arn);
  if (id.empty()) return NamespaceNotFound();
  return Load(deps, model::keys::CloudMapNamespaceKey(id), NamespaceNotFound());
}

std::variant<StoredRecord, AwsError> LoadService(const CloudMapDeps& deps, std::string_view id_or_arn) {
  std::string id = IdOf(id_or_arn);
  if (id.empty()) return ServiceNotFound();
  return Load(deps, model::keys::CloudMapServiceKey(id), ServiceNotFound());
}

Result<std::vector<object>> LoadAll(const CloudMapDeps& deps, std::string_view prefix) {
  return controlplane::LoadRecords(deps.store, prefix);
}

Result<std::vector<object>> LoadInstances(const CloudMapDeps& deps, const std::string& service_id) {
  return controlplane::LoadRecords(deps.store, model::keys::CloudMapInstancesPrefix(service_id));
}

Result<object> ShowNamespace(const CloudMapDeps& deps, const object& ns) {
  ASSIGN_OR_RETURN(auto services, LoadAll(deps, model::keys::kCloudMapServices));
  int64_t count = 0;
  for (const auto& s : services) count += GetString(s, "NamespaceId") == GetString(ns, "Id");
  object out = model::PresentNamespace(ns);
  out["ServiceCount"] = count;
  return out;
}

Result<object> ShowService(const CloudMapDeps& deps, const object& service) {
  ASSIGN_OR_RETURN(auto page, deps.store.List(model::keys::CloudMapInstancesPrefix(GetString(service, "Id")), "", 0));
  object out = model::PresentService(service);
  out["InstanceCount"] = static_cast<int64_t>(page.items.size());
  return out;
}

object NewOperation(const CloudMapDeps& deps, std::string_view type, object targets) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string id;
  for (int i = 0; i < 32; ++i) id += kChars[deps.random.Next() % 36];
  id += "-";
  for (int i = 0; i < 8; ++i) id += kChars[deps.random.Next() % 36];
  double now = Now(deps);
  return object{{"Id", id},
                {"OwnerAccount", deps.account_id},
                {"Type", type},
                {"Status", "SUBMITTED"},
                {"CreateDate", now},
                {"SubmitDate", now},
                {"Targets", std::move(targets)}};
}

Outcome RecordOperation(store::Draft& draft, const object& operation) {
  std::string id = GetString(operation, "Id");
  controlplane::PutRecord(draft, model::keys::CloudMapOperationKey(id), operation);
  return object{{"OperationId", id}};
}

Outcome Change(const CloudMapDeps& deps, const std::function<Result<store::Decision<Outcome>>(store::Draft&)>& decide) {
  auto done = store::Update(deps.store, [&](store::Draft& draft) { return decide(draft); });
  if (!done.ok()) return CloudMapError(done.status());
  if (!*done) return TooManyUpdates();
  return std::move(**done);
}

std::variant<PageOf, AwsError> Page(const object& in, size_t total, size_t max_default) {
  size_t offset = 0;
  if (Has(in, "NextToken")) {
    auto token = Base64Decode(GetString(in, "NextToken"));
    if (!token || !token->starts_with("sd:") || token->size() == 3 ||
        token->find_first_not_of("0123456789", 3) != std::string::npos) {
      return InvalidInput("The NextToken is not valid.");
    }
    offset = std::stoul(token->substr(3));
  }
  size_t max = static_cast<size_t>(GetInt(in, "MaxResults").value_or(static_cast<int64_t>(max_default)));
  PageOf page;
  page.begin = std::min(offset, total);
  page.end = std::min(total, page.begin + max);
  if (page.end < total) page.next_token = Base64Encode("sd:" + std::to_string(page.end));
  return page;
}

Outcome ListPage(const object& in, std::vector<object> records, const FilterMatch& matches,
                 const std::function<Result<object>(const object& record)>& show, std::string_view list_name) {
  std::vector<object> matching;
  for (auto& record : records) {
    bool keep = true;
    for (const auto& f : GetArray(in, "Filters")) {
      auto m = matches(record, f.as_object());
      if (auto* err = std::get_if<AwsError>(&m)) return *err;
      keep = keep && std::get<bool>(m);
    }
    if (keep) matching.push_back(std::move(record));
  }
  std::stable_sort(matching.begin(), matching.end(), [](const object& a, const object& b) {
    return a.at("CreateDate").to_number<double>() < b.at("CreateDate").to_number<double>();
  });
  auto page = Page(in, matching.size());
  if (auto* err = std::get_if<AwsError>(&page)) return *err;
  const PageOf& p = std::get<PageOf>(page);
  json::array out;
  for (size_t i = p.begin; i < p.end; ++i) {
    ASSIGN_OR_FAIL(object shown, show(matching[i]), CloudMapError);
    out.push_back(std::move(shown));
  }
  object answer{{list_name, std::move(out)}};
  if (!p.next_token.empty()) answer["NextToken"] = p.next_token;
  return answer;
}

std::optional<AwsError> CheckTags(const json::array& tags) {
  if (tags.size() > 50) {
    return AwsError::Client("TooManyTagsException", "The number of tags exceeds the limit of 50 tags per resource.");
  }
  std::set<std::string> keys;
  for (const auto& t : tags) {
    if (!keys.insert(GetString(t.as_object(), "Key")).second) return InvalidInput("Duplicate tag keys in the request.");
  }
  return std::nullopt;
}

}  // namespace wharf::api::servicediscovery
