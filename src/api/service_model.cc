#include "api/service_model.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace wharf::api {
namespace json = boost::json;

namespace {

Shape::Type TypeOf(std::string_view t) {
  using T = Shape::Type;
  if (t == "structure") return T::kStructure;
  if (t == "list") return T::kList;
  if (t == "map") return T::kMap;
  if (t == "integer") return T::kInteger;
  if (t == "long") return T::kLong;
  if (t == "boolean") return T::kBoolean;
  if (t == "double") return T::kDouble;
  if (t == "float") return T::kFloat;
  if (t == "timestamp") return T::kTimestamp;
  if (t == "blob") return T::kBlob;
  return T::kString;
}

std::string StringOr(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

const Shape::Member* Shape::FindMember(std::string_view n) const {
  for (const Member& m : members) {
    if (m.name == n) return &m;
  }
  return nullptr;
}

Result<std::unique_ptr<ServiceModel>> ServiceModel::LoadEmbedded(std::string_view name) {
  std::string_view text = EmbeddedServiceModel(name);
  if (text.empty()) return Status::NotFound("no embedded model '" + std::string(name) + "'");
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return Status::Internal("model " + std::string(name) + " unparsable");
  const json::object& root = doc.get_object();
  auto model = std::make_unique<ServiceModel>();
  const json::object& meta = root.at("metadata").get_object();
  model->protocol_ = StringOr(meta, "protocol");
  model->target_prefix_ = StringOr(meta, "targetPrefix");
  model->signing_name_ = StringOr(meta, "signingName");
  if (model->signing_name_.empty()) model->signing_name_ = StringOr(meta, "endpointPrefix");
  model->xml_namespace_ = StringOr(meta, "xmlNamespace");
  model->api_version_ = StringOr(meta, "apiVersion");

  const json::object& shapes = root.at("shapes").get_object();
  for (const auto& [shape_name, _] : shapes) {
    auto s = std::make_unique<Shape>();
    s->name = shape_name;
    model->shapes_.emplace(std::string(shape_name), std::move(s));
  }
  auto ref = [&](const json::value& v) -> const Shape* {
    auto it = model->shapes_.find(std::string_view(v.at("shape").get_string()));
    return it == model->shapes_.end() ? nullptr : it->second.get();
  };
  for (const auto& [shape_name, def_value] : shapes) {
    const json::object& def = def_value.get_object();
    Shape& s = *model->shapes_.find(std::string_view(shape_name))->second;
    s.type = TypeOf(StringOr(def, "type"));
    if (auto* members = def.if_contains("members")) {
      for (const auto& [member_name, m] : members->get_object()) {
        Shape::Member member;
        member.name = member_name;
        member.shape = ref(m);
        member.location_name = StringOr(m.get_object(), "locationName");
        if (auto* f = m.get_object().if_contains("flattened")) member.flattened = f->as_bool();
        s.members.push_back(std::move(member));
      }
    }
    if (auto* req = def.if_contains("required")) {
      for (const auto& r : req->get_array()) s.required.insert(std::string(r.get_string()));
    }
    if (auto* m = def.if_contains("member")) {
      s.member = ref(*m);
      s.member_location_name = StringOr(m->get_object(), "locationName");
    }
    if (auto* k = def.if_contains("key")) s.key = ref(*k);
    if (auto* v = def.if_contains("value")) s.value = ref(*v);
    if (auto* f = def.if_contains("flattened")) s.flattened = f->as_bool();
    if (auto* e = def.if_contains("enum")) {
      for (const auto& x : e->get_array()) s.enum_values.emplace_back(x.get_string());
    }
    if (auto* v = def.if_contains("min")) s.min = v->to_number<double>();
    if (auto* v = def.if_contains("max")) s.max = v->to_number<double>();
    if (auto* v = def.if_contains("exception")) s.exception = v->as_bool();
    if (auto* v = def.if_contains("fault")) s.fault = v->as_bool();
    if (auto* err = def.if_contains("error")) {
      const json::object& e = err->get_object();
      if (auto* c = e.if_contains("httpStatusCode")) s.http_status = static_cast<int>(c->to_number<int64_t>());
      s.error_code = StringOr(e, "code");
    }
  }
  for (const auto& [op_name, def_value] : root.at("operations").get_object()) {
    const json::object& def = def_value.get_object();
    Operation op;
    op.name = op_name;
    if (auto* in = def.if_contains("input")) op.input = ref(*in);
    if (auto* out = def.if_contains("output")) {
      op.output = ref(*out);
      op.result_wrapper = StringOr(out->get_object(), "resultWrapper");
    }
    model->operations_.emplace(std::string(op_name), std::move(op));
  }
  return model;
}

const Operation* ServiceModel::FindOperation(std::string_view name) const {
  auto it = operations_.find(name);
  return it == operations_.end() ? nullptr : &it->second;
}

const Shape* ServiceModel::FindShape(std::string_view name) const {
  auto it = shapes_.find(name);
  return it == shapes_.end() ? nullptr : it->second.get();
}

}  // namespace wharf::api
