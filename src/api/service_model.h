// ServiceModel: the machine-readable part of an AWS service model (botocore's
// service-2.json, compiled in from src/api/models). It drives request validation and the
// Query protocol's decoding and XML encoding, so every operation speaks exactly the
// shapes the real clients expect.
//
// Loaded once at startup; immutable and shareable across threads afterwards.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::api {

struct Shape {
  enum class Type { kStructure, kList, kMap, kString, kInteger, kLong, kBoolean, kDouble,
                    kFloat, kTimestamp, kBlob };
  struct Member {
    std::string name;
    const Shape* shape = nullptr;
    std::string location_name;  // the XML element name, when it differs from `name`
    bool flattened = false;
  };

  std::string name;
  Type type = Type::kString;
  std::vector<Member> members;    // structure
  std::set<std::string> required;  // structure
  const Shape* member = nullptr;   // list
  std::string member_location_name;  // list: element name ("member" by default)
  const Shape* key = nullptr;      // map
  const Shape* value = nullptr;    // map
  bool flattened = false;
  std::vector<std::string> enum_values;
  std::optional<double> min, max;
  // Errors.
  bool exception = false;
  bool fault = false;  // a server-side error (5xx)
  int http_status = 0;
  std::string error_code;  // the Query protocol's code, when it differs from the name

  const Member* FindMember(std::string_view name) const;
};

struct Operation {
  std::string name;
  const Shape* input = nullptr;
  const Shape* output = nullptr;
  std::string result_wrapper;  // Query protocol: "<Name>Result"
};

class ServiceModel {
 public:
  // One of the embedded models: "ecs", "elbv2", "ecr", "logs", "sts".
  static Result<std::unique_ptr<ServiceModel>> LoadEmbedded(std::string_view name);

  const Operation* FindOperation(std::string_view name) const;
  const Shape* FindShape(std::string_view name) const;

  const std::string& protocol() const { return protocol_; }        // "json" or "query"
  const std::string& target_prefix() const { return target_prefix_; }
  const std::string& signing_name() const { return signing_name_; }
  const std::string& xml_namespace() const { return xml_namespace_; }
  const std::string& api_version() const { return api_version_; }

 private:
  std::string protocol_, target_prefix_, signing_name_, xml_namespace_, api_version_;
  std::map<std::string, std::unique_ptr<Shape>, std::less<>> shapes_;
  std::map<std::string, Operation, std::less<>> operations_;
};

std::string_view EmbeddedServiceModel(std::string_view name);  // generated at build time

}  // namespace wharf::api
