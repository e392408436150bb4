#include "cloudformation/yaml.h"

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

namespace wharf::cloudformation {
namespace json = boost::json;
namespace {

// The short forms CloudFormation's YAML reader knows, and the long form each stands for.
const std::map<std::string, std::string, std::less<>>& ShortForms() {
  static const auto* forms = new std::map<std::string, std::string, std::less<>>{
      {"!Ref", "Ref"},          {"!Condition", "Condition"},     {"!GetAtt", "Fn::GetAtt"},
      {"!Sub", "Fn::Sub"},      {"!Join", "Fn::Join"},           {"!Select", "Fn::Select"},
      {"!Split", "Fn::Split"},  {"!If", "Fn::If"},               {"!Equals", "Fn::Equals"},
      {"!And", "Fn::And"},      {"!Or", "Fn::Or"},               {"!Not", "Fn::Not"},
      {"!FindInMap", "Fn::FindInMap"}, {"!GetAZs", "Fn::GetAZs"}, {"!Base64", "Fn::Base64"},
      {"!ImportValue", "Fn::ImportValue"}, {"!Cidr", "Fn::Cidr"}, {"!Transform", "Fn::Transform"},
      {"!Length", "Fn::Length"}, {"!ToJsonString", "Fn::ToJsonString"},
  };
  return *forms;
}

// Aliases may repeat a node many times over (a "billion laughs" document): the JSON made is
// bounded, as a template's resources are.
constexpr size_t kMaxNodes = 200000;

class Converter {
 public:
  Result<json::value> Convert(const YAML::Node& node) {
    if (++nodes_ > kMaxNodes) return Status::InvalidArgument("Template format error: the template is too large");
    const std::string& tag = node.Tag();
    if (!tag.empty() && tag != "?" && tag != "!" && tag.rfind("tag:yaml.org,2002:", 0) != 0) {
      auto form = ShortForms().find(tag);
      if (form == ShortForms().end()) {
        return Status::InvalidArgument("Template format error: YAML not well-formed. Unknown tag " + tag + Where(node));
      }
      ASSIGN_OR_RETURN(json::value inner, Untagged(node));
      if (form->second == "Fn::GetAtt" && inner.is_string()) {
        // !GetAtt Resource.Attribute: the attribute may itself hold dots (Endpoint.Address).
        std::string text(inner.get_string());
        size_t dot = text.find('.');
        if (dot == std::string::npos) {
          return Status::InvalidArgument("Template error: every Fn::GetAtt object requires two non-empty parameters");
        }
        inner = json::array{json::string(text.substr(0, dot)), json::string(text.substr(dot + 1))};
      }
      return json::value(json::object{{form->second, std::move(inner)}});
    }
    return Untagged(node);
  }

 private:
  static std::string Where(const YAML::Node& node) {
    YAML::Mark m = node.Mark();
    return " (line " + std::to_string(m.line + 1) + ", column " + std::to_string(m.column + 1) + ")";
  }

  Result<json::value> Untagged(const YAML::Node& node) {
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return json::value(nullptr);
      case YAML::NodeType::Scalar:
        return json::value(json::string(node.Scalar()));
      case YAML::NodeType::Sequence: {
        json::array out;
        for (const auto& item : node) {
          ASSIGN_OR_RETURN(json::value v, Convert(item));
          out.push_back(std::move(v));
        }
        return json::value(std::move(out));
      }
      case YAML::NodeType::Map: {
        json::object out;
        for (const auto& entry : node) {
          if (!entry.first.IsScalar()) {
            return Status::InvalidArgument("Template format error: YAML not well-formed. A key must be a string" +
                                           Where(entry.first));
          }
          const std::string& key = entry.first.Scalar();
          if (out.contains(key)) {
            return Status::InvalidArgument("Template format error: YAML not well-formed. Duplicate key " + key +
                                           Where(entry.first));
          }
          ASSIGN_OR_RETURN(json::value v, Convert(entry.second));
          out[key] = std::move(v);
        }
        return json::value(std::move(out));
      }
    }
    return json::value(nullptr);
  }

  size_t nodes_ = 0;
};

}  // namespace

Result<json::value> YamlToJson(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("Template format error: YAML not well-formed. (line " +
                                   std::to_string(e.mark.line + 1) + ", column " + std::to_string(e.mark.column + 1) +
                                   ")");
  }
  try {
    return Converter().Convert(root);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("Template format error: YAML not well-formed. ") + e.what());
  }
}

}  // namespace wharf::cloudformation
