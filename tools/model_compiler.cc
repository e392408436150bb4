// model_compiler: compiles the AWS service models (src/api/models/<service>.json, made by
// scripts/gen-models.py) into the constant tables api/service_model.h declares, so wharf
// neither parses nor allocates them at start (service_model.h says why).
//
//   model_compiler OUT.cc MODELS_DIR service...
//
// Writes OUT.cc whole or not at all (it is written beside and renamed into place).
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace json = boost::json;

namespace {

constexpr uint32_t kNoShape = UINT32_MAX;

struct Text {
  uint32_t offset = 0, size = 0;
};

// The text pool: every name once.
class Pool {
 public:
  Text Add(std::string_view s) {
    if (s.empty()) return {};
    auto [it, added] = offsets_.try_emplace(std::string(s), static_cast<uint32_t>(text_.size()));
    if (added) text_ += s;
    return {it->second, static_cast<uint32_t>(s.size())};
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::map<std::string, uint32_t, std::less<>> offsets_;
};

std::string StringOr(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string TypeOf(std::string_view t) {
  for (const char* known : {"structure", "list", "map", "integer", "long", "boolean", "double", "float",
                            "timestamp", "blob"}) {
    if (t == known) {
      std::string name = known;
      name[0] = static_cast<char>(std::toupper(name[0]));
      return "T::k" + name;
    }
  }
  return "T::kString";
}

std::string T(Text t) { return "{" + std::to_string(t.offset) + "u, " + std::to_string(t.size) + "u}"; }
std::string R(size_t first, size_t count) {
  return "{" + std::to_string(first) + "u, " + std::to_string(count) + "u}";
}
std::string Index(uint32_t i) { return i == kNoShape ? "kNoShape" : std::to_string(i) + "u"; }
std::string Number(double d) {
  std::ostringstream out;
  out.precision(17);
  out << d;
  return out.str();
}

// A C++ string literal of `text`, in pieces of a few thousand characters; every escape is a
// full three-digit octal one, so no digit that follows can join it.
std::string Literal(const std::string& text) {
  std::string out = "\"";
  size_t line = 0;
  for (unsigned char c : text) {
    if (c == '"' || c == '\\' || c == '?' || c < 0x20 || c >= 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\%03o", c);
      out += esc;
      line += 4;
    } else {
      out += static_cast<char>(c);
      ++line;
    }
    if (line >= 4000) {
      out += "\"\n\"";
      line = 0;
    }
  }
  return out + "\"";
}

class Compiler {
 public:
  bool Add(const std::string& service, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    json::value doc = json::parse(text.str(), ec);
    if (!in || ec || !doc.is_object()) {
      std::cerr << "model_compiler: " << path << ": unreadable or not a JSON object\n";
      return false;
    }
    const json::object& root = doc.get_object();
    const json::object& meta = root.at("metadata").get_object();
    std::string signing_name = StringOr(meta, "signingName");
    if (signing_name.empty()) signing_name = StringOr(meta, "endpointPrefix");
    models_ << "    {" << T(pool_.Add(service)) << ", " << T(pool_.Add(StringOr(meta, "protocol"))) << ", "
            << T(pool_.Add(StringOr(meta, "targetPrefix"))) << ", " << T(pool_.Add(signing_name)) << ", "
            << T(pool_.Add(StringOr(meta, "xmlNamespace"))) << ", " << T(pool_.Add(StringOr(meta, "apiVersion")))
            << ", ";

    // Shapes are numbered in name order (json::object keeps the file's), so a model's run
    // is sorted for FindShape.
    const json::object& shapes = root.at("shapes").get_object();
    std::map<std::string_view, const json::object*> sorted;
    for (const auto& [name, def] : shapes) sorted.emplace(name, &def.get_object());
    std::map<std::string_view, uint32_t> index;
    for (const auto& [name, def] : sorted) index.emplace(name, shape_count_ + static_cast<uint32_t>(index.size()));
    auto ref = [&](const json::value& v) {
      auto it = index.find(std::string_view(v.at("shape").get_string()));
      return it == index.end() ? kNoShape : it->second;
    };
    models_ << R(shape_count_, sorted.size()) << ", ";
    for (const auto& [name, def_ptr] : sorted) AddShape(name, *def_ptr, ref);

    std::map<std::string_view, const json::object*> operations;
    for (const auto& [name, def] : root.at("operations").get_object()) operations.emplace(name, &def.get_object());
    models_ << R(operation_count_, operations.size()) << "},\n";
    for (const auto& [name, def] : operations) {
      uint32_t input = kNoShape, output = kNoShape;
      std::string wrapper;
      if (auto* in = def->if_contains("input")) input = ref(*in);
      if (auto* out = def->if_contains("output")) {
        output = ref(*out);
        wrapper = StringOr(out->get_object(), "resultWrapper");
      }
      operations_ << "    {" << T(pool_.Add(name)) << ", " << Index(input) << ", " << Index(output) << ", "
                  << T(pool_.Add(wrapper)) << "},\n";
      ++operation_count_;
    }
    ++model_count_;
    return true;
  }

  bool Write(const std::string& out_path) const {
    std::string tmp = out_path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << "// Generated from src/api/models by tools/model_compiler.cc. Do not edit.\n"
          << "#include \"api/service_model.h\"\n\n"
          << "namespace wharf::api::model_data {\n"
          << "namespace {\nusing T = Shape::Type;\n}  // namespace\n\n"
          << "constinit const char kText[] =\n" << Literal(pool_.text()) << ";\n\n"
          << "constinit const Text kTextLists[] = {\n" << (text_lists_.str().empty() ? "    {},\n" : text_lists_.str())
          << "};\n\n"
          << "constinit const Shape kShapes[] = {\n" << shapes_.str() << "};\n\n"
          << "constinit const Shape::Member kMembers[] = {\n" << (members_.str().empty() ? "    {},\n" : members_.str())
          << "};\n\n"
          << "constinit const Operation kOperations[] = {\n" << operations_.str() << "};\n\n"
          << "constinit const Model kModels[] = {\n" << models_.str() << "};\n"
          << "constinit const uint32_t kModelCount = " << model_count_ << ";\n\n"
          << "}  // namespace wharf::api::model_data\n";
      if (!out.flush()) {
        std::cerr << "model_compiler: cannot write " << tmp << "\n";
        return false;
      }
    }
    return std::rename(tmp.c_str(), out_path.c_str()) == 0;
  }

 private:
  template <typename Ref>
  void AddShape(std::string_view name, const json::object& def, Ref& ref) {
    std::ostringstream s;
    s << "    {.type = " << TypeOf(StringOr(def, "type"));
    if (auto* f = def.if_contains("flattened"); f && f->as_bool()) s << ", .flattened = true";
    if (auto* v = def.if_contains("exception"); v && v->as_bool()) s << ", .exception = true";
    if (auto* v = def.if_contains("fault"); v && v->as_bool()) s << ", .fault = true";
    std::string error_code;
    if (auto* err = def.if_contains("error")) {
      const json::object& e = err->get_object();
      if (auto* c = e.if_contains("httpStatusCode")) s << ", .http_status = " << c->to_number<int64_t>();
      error_code = StringOr(e, "code");
    }
    if (auto* v = def.if_contains("min")) s << ", .min = " << Number(v->to_number<double>());
    if (auto* v = def.if_contains("max")) s << ", .max = " << Number(v->to_number<double>());
    s << ", .name_ = " << T(pool_.Add(name));
    if (auto* members = def.if_contains("members"); members && !members->get_object().empty()) {
      s << ", .members_ = " << R(member_count_, members->get_object().size());
      for (const auto& [member_name, m] : members->get_object()) {
        const json::object& mo = m.get_object();
        bool flattened = false;
        if (auto* f = mo.if_contains("flattened")) flattened = f->as_bool();
        members_ << "    {" << (flattened ? ".flattened = true, " : "") << ".name_ = " << T(pool_.Add(member_name))
                 << ", .location_name_ = " << T(pool_.Add(StringOr(mo, "locationName")))
                 << ", .shape_ = " << Index(ref(m)) << "},\n";
        ++member_count_;
      }
    }
    if (auto* req = def.if_contains("required"); req && !req->get_array().empty()) {
      // In name order, once each: the first missing one is the one a request is told about.
      std::set<std::string_view> names;
      for (const auto& r : req->get_array()) names.insert(r.get_string());
      s << ", .required_ = " << TextRun(std::vector<std::string_view>(names.begin(), names.end()));
    }
    if (auto* m = def.if_contains("member")) {
      s << ", .member_ = " << Index(ref(*m))
        << ", .member_location_name_ = " << T(pool_.Add(StringOr(m->get_object(), "locationName")));
    }
    if (auto* k = def.if_contains("key")) s << ", .key_ = " << Index(ref(*k));
    if (auto* v = def.if_contains("value")) s << ", .value_ = " << Index(ref(*v));
    if (auto* e = def.if_contains("enum"); e && !e->get_array().empty()) {
      std::vector<std::string_view> values;  // in the model's order, as the error lists them
      for (const auto& v : e->get_array()) values.push_back(v.get_string());
      s << ", .enum_values_ = " << TextRun(values);
    }
    if (!error_code.empty()) s << ", .error_code_ = " << T(pool_.Add(error_code));
    s << "},\n";
    shapes_ << s.str();
    ++shape_count_;
  }

  std::string TextRun(const std::vector<std::string_view>& names) {
    std::string range = R(text_list_count_, names.size());
    for (std::string_view n : names) {
      text_lists_ << "    " << T(pool_.Add(n)) << ",\n";
      ++text_list_count_;
    }
    return range;
  }

  Pool pool_;
  std::ostringstream text_lists_, shapes_, members_, operations_, models_;
  uint32_t text_list_count_ = 0, shape_count_ = 0, member_count_ = 0, operation_count_ = 0, model_count_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: model_compiler OUT.cc MODELS_DIR service...\n";
    return 2;
  }
  Compiler compiler;
  for (int i = 3; i < argc; ++i) {
    if (!compiler.Add(argv[i], std::string(argv[2]) + "/" + argv[i] + ".json")) return 1;
  }
  return compiler.Write(argv[1]) ? 0 : 1;
}
