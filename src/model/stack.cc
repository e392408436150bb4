#include "model/stack.h"

#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;
namespace {

double GetNumber(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return 0;
}

std::vector<std::string> Strings(const json::array& a) {
  std::vector<std::string> out;
  for (const auto& v : a) {
    if (v.is_string()) out.emplace_back(v.get_string());
  }
  return out;
}

json::array StringArray(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& s : items) out.push_back(json::string(s));
  return out;
}

std::map<std::string, std::string> StringMap(const json::object& o) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : o) {
    if (v.is_string()) out[std::string(k)] = v.get_string();
  }
  return out;
}

json::object MapObject(const std::map<std::string, std::string>& m) {
  json::object out;
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

}  // namespace

StackResource StackResource::FromJson(const json::object& r) {
  StackResource s;
  s.logical_id = GetString(r, "logical_id");
  s.type = GetString(r, "type");
  s.physical_id = GetString(r, "physical_id");
  s.status = GetString(r, "status");
  s.status_reason = GetString(r, "status_reason");
  s.updated = GetNumber(r, "updated");
  if (const auto* v = r.if_contains("ref")) s.ref = *v;
  s.attributes = GetObject(r, "attributes");
  s.properties = GetObject(r, "properties");
  s.deletion_policy = GetString(r, "deletion_policy", "Delete");
  s.retired = GetBool(r, "retired").value_or(false);
  s.change = GetString(r, "change");
  s.previous = GetObject(r, "previous");
  return s;
}

json::object StackResource::ToJson() const {
  return {{"logical_id", logical_id},   {"type", type},         {"physical_id", physical_id},
          {"status", status},           {"status_reason", status_reason}, {"updated", updated},
          {"ref", ref},                 {"attributes", attributes},       {"properties", properties},
          {"deletion_policy", deletion_policy}, {"retired", retired},
          {"change", change},           {"previous", previous}};
}

std::string Stack::uuid() const { return stack_id.substr(stack_id.rfind('/') + 1); }

StackResource* Stack::FindResource(std::string_view logical_id) {
  for (auto& r : resources) {
    if (r.logical_id == logical_id && !r.retired) return &r;
  }
  return nullptr;
}

const StackResource* Stack::FindResource(std::string_view logical_id) const {
  return const_cast<Stack*>(this)->FindResource(logical_id);
}

bool Stack::in_progress() const { return status.ends_with("_IN_PROGRESS") && status != "REVIEW_IN_PROGRESS"; }

Result<Stack> Stack::FromJson(const json::object& r) {
  Stack s;
  s.stack_id = GetString(r, "stack_id");
  s.name = GetString(r, "name");
  if (s.stack_id.empty() || s.name.empty()) return Status::Internal("stack record without id or name");
  s.status = GetString(r, "status");
  s.status_reason = GetString(r, "status_reason");
  s.description = GetString(r, "description");
  s.template_body = GetString(r, "template_body");
  s.parameters = StringMap(GetObject(r, "parameters"));
  s.no_echo = Strings(GetArray(r, "no_echo"));
  for (const auto& v : GetArray(r, "outputs")) {
    if (!v.is_object()) continue;
    const auto& o = v.get_object();
    s.outputs.push_back({GetString(o, "key"), GetString(o, "value"), GetString(o, "description"),
                         GetString(o, "export_name")});
  }
  s.tags = GetArray(r, "tags");
  s.capabilities = Strings(GetArray(r, "capabilities"));
  s.disable_rollback = GetBool(r, "disable_rollback").value_or(false);
  s.termination_protection = GetBool(r, "termination_protection").value_or(false);
  s.stack_policy = GetString(r, "stack_policy");
  s.update_policy = GetString(r, "update_policy");
  s.created = GetNumber(r, "created");
  s.updated = GetNumber(r, "updated");
  s.deleted = GetNumber(r, "deleted");
  s.access_key_id = GetString(r, "access_key_id");
  for (const auto& v : GetArray(r, "resources")) {
    if (v.is_object()) s.resources.push_back(StackResource::FromJson(v.get_object()));
  }
  s.events = GetInt(r, "events").value_or(0);
  s.change_set_id = GetString(r, "change_set_id");
  s.imports = Strings(GetArray(r, "imports"));
  s.previous_template_body = GetString(r, "previous_template_body");
  s.previous_parameters = StringMap(GetObject(r, "previous_parameters"));
  return s;
}

json::object Stack::ToJson() const {
  json::array outs;
  for (const auto& o : outputs) {
    outs.push_back(json::object{{"key", o.key}, {"value", o.value}, {"description", o.description},
                                {"export_name", o.export_name}});
  }
  json::array res;
  for (const auto& r : resources) res.push_back(r.ToJson());
  return {{"stack_id", stack_id},
          {"name", name},
          {"status", status},
          {"status_reason", status_reason},
          {"description", description},
          {"template_body", template_body},
          {"parameters", MapObject(parameters)},
          {"no_echo", StringArray(no_echo)},
          {"outputs", std::move(outs)},
          {"tags", tags},
          {"capabilities", StringArray(capabilities)},
          {"disable_rollback", disable_rollback},
          {"termination_protection", termination_protection},
          {"stack_policy", stack_policy},
          {"update_policy", update_policy},
          {"created", created},
          {"updated", updated},
          {"deleted", deleted},
          {"access_key_id", access_key_id},
          {"resources", std::move(res)},
          {"events", events},
          {"change_set_id", change_set_id},
          {"imports", StringArray(imports)},
          {"previous_template_body", previous_template_body},
          {"previous_parameters", MapObject(previous_parameters)}};
}

}  // namespace wharf::model
