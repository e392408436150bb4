#include "api/cloudformation/provisioner.h"

#include <boost/json/serialize.hpp>
#include <algorithm>
#include <cctype>
#include <mutex>
#include <thread>

#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

bool SameIgnoringFirstCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return std::tolower(static_cast<unsigned char>(a[0])) == std::tolower(static_cast<unsigned char>(b[0])) &&
         a.substr(1) == b.substr(1);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Status Unsupported(std::string_view property) {
  return Status::InvalidArgument("Encountered unsupported property " + std::string(property));
}

Result<json::value> Scalar(const Shape& shape, const json::value& v, std::string_view where) {
  auto text = [&]() -> std::optional<std::string> {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_bool()) return std::string(v.get_bool() ? "true" : "false");
    if (v.is_number()) return json::serialize(v);
    return std::nullopt;
  }();
  auto wrong = [&] {
    return Status::InvalidArgument("Properties validation failed: #/" + std::string(where) + ": expected type: " +
                                   std::string(shape.type == Shape::Type::kBoolean ? "Boolean" : "Number") +
                                   ", found: " + (text ? *text : "JSON"));
  };
  switch (shape.type) {
    case Shape::Type::kString:
    case Shape::Type::kTimestamp:
    case Shape::Type::kBlob:
      if (!text) return Status::InvalidArgument("Properties validation failed: #/" + std::string(where) + ": expected type: String");
      return json::value(json::string(*text));
    case Shape::Type::kInteger:
    case Shape::Type::kLong: {
      if (v.is_int64() || v.is_uint64()) return v;
      if (!text) return wrong();
      char* end = nullptr;
      long long n = std::strtoll(text->c_str(), &end, 10);
      if (text->empty() || *end) return wrong();
      return json::value(static_cast<int64_t>(n));
    }
    case Shape::Type::kDouble:
    case Shape::Type::kFloat: {
      if (v.is_number()) return v;
      if (!text) return wrong();
      char* end = nullptr;
      double d = std::strtod(text->c_str(), &end);
      if (text->empty() || *end) return wrong();
      return json::value(d);
    }
    case Shape::Type::kBoolean:
      if (v.is_bool()) return v;
      if (text && Lower(*text) == "true") return json::value(true);
      if (text && Lower(*text) == "false") return json::value(false);
      return wrong();
    default:
      return v;
  }
}

Result<json::value> Convert(const Shape& shape, const json::value& value, const std::map<std::string, std::string>& renames,
                            const std::string& where) {
  switch (shape.type) {
    case Shape::Type::kStructure: {
      if (!value.is_object()) return Status::InvalidArgument("Properties validation failed: #/" + where + ": expected type: JSONObject");
      json::object out;
      for (const auto& [key, member_value] : value.get_object()) {
        std::string name(key);
        if (auto r = renames.find(where.empty() ? name : where + "/" + name); r != renames.end()) name = r->second;
        const Shape::Member* member = nullptr;
        for (const auto& m : shape.members()) {
          if (m.name() == name || SameIgnoringFirstCase(m.name(), name)) member = &m;
        }
        if (!member || !member->shape()) return Unsupported(where.empty() ? std::string(key) : where + "/" + std::string(key));
        std::string path = where.empty() ? std::string(key) : where + "/" + std::string(key);
        ASSIGN_OR_RETURN(json::value v, Convert(*member->shape(), member_value, renames, path));
        out[member->name()] = std::move(v);
      }
      return json::value(std::move(out));
    }
    case Shape::Type::kList: {
      if (!value.is_array()) return Status::InvalidArgument("Properties validation failed: #/" + where + ": expected type: JSONArray");
      json::array out;
      for (size_t i = 0; i < value.get_array().size(); ++i) {
        ASSIGN_OR_RETURN(json::value v, Convert(*shape.member(), value.get_array()[i], renames, where + "/" + std::to_string(i)));
        out.push_back(std::move(v));
      }
      return json::value(std::move(out));
    }
    case Shape::Type::kMap: {
      if (!value.is_object()) return Status::InvalidArgument("Properties validation failed: #/" + where + ": expected type: JSONObject");
      json::object out;
      for (const auto& [k, v] : value.get_object()) {
        ASSIGN_OR_RETURN(json::value converted, Convert(*shape.value(), v, {}, where + "/" + std::string(k)));
        out[k] = std::move(converted);
      }
      return json::value(std::move(out));
    }
    default:
      return Scalar(shape, value, where);
  }
}

}  // namespace

Result<json::value> ToInput(const Shape& shape, const json::value& value, const std::map<std::string, std::string>& renames) {
  return Convert(shape, value, renames, "");
}

const Shape& InputShape(std::string_view model, std::string_view operation) {
  static std::mutex mu;
  static auto* models = new std::map<std::string, std::unique_ptr<ServiceModel>, std::less<>>();
  std::lock_guard<std::mutex> lock(mu);
  auto it = models->find(model);
  if (it == models->end()) {
    auto loaded = ServiceModel::LoadEmbedded(model);
    if (!loaded.ok()) std::abort();  // the embedded models are part of the binary
    it = models->emplace(std::string(model), std::move(*loaded)).first;
  }
  const Operation* op = it->second->FindOperation(operation);
  if (!op || !op->input()) std::abort();  // a resource type names an operation its model lacks
  return *op->input();
}

Caller::Caller(const Invoke& invoke, const model::Stack& stack, std::string region, std::string account_id,
               Random& random, const std::atomic<bool>& stopping, std::string* made_id)
    : stack(stack),
      region(std::move(region)),
      account_id(std::move(account_id)),
      invoke_(invoke),
      random_(random),
      stopping_(stopping),
      made_id_(made_id) {}

Outcome Caller::Try(std::string_view signing_name, std::string_view operation, json::object input) const {
  // As CloudFormation's handlers (and every AWS SDK) do, a throttled or failed-on-the-server
  // call is tried again after a growing pause: resources made in parallel contend for the same
  // records (a VPC's groups, its route tables), and a service answers "retry".
  constexpr int kAttempts = 8;
  for (int attempt = 1;; ++attempt) {
    Outcome out = invoke_(region, stack.access_key_id, signing_name, operation, input);
    if (out.ok() || attempt == kAttempts || stopping()) return out;
    const AwsError& e = out.error();
    bool retryable = e.http_status >= 500 || e.code == "Throttling" || e.code == "ThrottlingException" ||
                     e.code == "RequestLimitExceeded" || e.code == "TooManyRequestsException";
    if (!retryable) return out;
    Pause(std::min(20 << attempt, 1000) + static_cast<int>(random_.Next() % 20));
  }
}

Result<json::object> Caller::Call(std::string_view signing_name, std::string_view operation, json::object input) const {
  Outcome out = Try(signing_name, operation, std::move(input));
  if (out.ok()) return std::move(out.output());
  const AwsError& e = out.error();
  return Status::InvalidArgument("Resource handler returned message: \"" + e.message + "\" (Service: " +
                                 std::string(signing_name) + ", Status Code: " + std::to_string(e.http_status) +
                                 ", Error Code: " + e.code + ", Operation: " + std::string(operation) + ")");
}

std::string Caller::PhysicalName(std::string_view logical_id, size_t max_length, bool lower) const {
  std::string suffix = RandomAlnum(random_, 12, true);
  size_t budget = max_length > suffix.size() + 2 ? max_length - suffix.size() - 2 : 0;
  std::string stack_part = stack.name.substr(0, std::min(stack.name.size(), budget / 2 + budget % 2));
  std::string logical_part(logical_id.substr(0, std::min(logical_id.size(), budget - stack_part.size())));
  std::string name = stack_part + "-" + logical_part + "-" + suffix;
  return lower ? Lower(name) : name;
}

void Caller::Pause(int ms) const { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

ServiceProvisioner::ServiceProvisioner(Invoke invoke, std::string region, std::string account_id, Random& random)
    : invoke_(std::move(invoke)), region_(std::move(region)), account_id_(std::move(account_id)), random_(random) {}

Result<ProvisionedResource> ServiceProvisioner::Create(const model::Stack& stack, std::string_view logical_id,
                                                       std::string_view type, const json::object& properties,
                                                       std::string& made_id) {
  auto it = ResourceTypes().find(type);
  if (it == ResourceTypes().end()) {
    return Status::FailedPrecondition("Resource type " + std::string(type) + " is not supported by wharf");
  }
  return it->second.create(Caller(invoke_, stack, region_, account_id_, random_, stopping_, &made_id), logical_id, properties);
}

Result<ProvisionedResource> ServiceProvisioner::Update(const model::Stack& stack, const model::StackResource& resource,
                                                       const json::object& properties) {
  auto it = ResourceTypes().find(resource.type);
  if (it == ResourceTypes().end() || !it->second.update) return controlplane::ReplacementNeeded(resource.type);
  return it->second.update(Caller(invoke_, stack, region_, account_id_, random_, stopping_), resource, properties);
}

Status ServiceProvisioner::Delete(const model::Stack& stack, const model::StackResource& resource) {
  auto it = ResourceTypes().find(resource.type);
  if (it == ResourceTypes().end()) return Status::OK();  // never made
  return it->second.remove(Caller(invoke_, stack, region_, account_id_, random_, stopping_), resource);
}

}  // namespace wharf::api::cloudformation
