#include "model/container_secret.h"

#include <boost/json/parse.hpp>
#include <algorithm>
#include <charconv>
#include <vector>

namespace wharf::model {
namespace json = boost::json;

namespace {

std::vector<std::string_view> SplitColons(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t colon = s.find(':');
    out.push_back(s.substr(0, colon));
    if (colon == std::string_view::npos) return out;
    s.remove_prefix(colon + 1);
  }
}

// Go's strconv.FormatFloat(f, 'g', -1, 64), which "%v" uses: the shortest digits that read
// back as f, in %e form when the exponent is below -4 or at least 6 (1e+06, 1.5e-05).
std::string GoFloat(double f) {
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string scientific(buf, sci.ptr);
  size_t e = scientific.find('e');
  int exponent = e == std::string::npos ? 0 : std::atoi(scientific.c_str() + e + 1);
  if (exponent < -4 || exponent >= 6) return scientific;
  auto fixed = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::fixed);
  return std::string(buf, fixed.ptr);
}

}  // namespace

Result<SecretSource> ParseSecretSource(std::string_view value_from, std::string_view task_region) {
  SecretSource s;
  std::vector<std::string_view> fields = SplitColons(value_from);
  const bool arn = fields.size() >= 6 && fields[0] == "arn";
  if (arn && fields[2] == "secretsmanager") {
    // arn:aws:secretsmanager:<region>:<account>:secret:<name>[:<jsonKey>:<versionStage>:<versionId>]
    if ((fields.size() != 7 && fields.size() != 10) || fields[5] != "secret") {
      return Status::InvalidArgument(
          "unable to retrieve secret from asm: trying to retrieve secret with value " + std::string(value_from) +
          " resulted in error: an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a "
          "valid ARN and try again.");
    }
    s.kind = SecretSource::Kind::kSecretsManager;
    s.region = std::string(fields[3]);
    size_t end = 0;
    for (int i = 0; i < 7; ++i) end += fields[i].size() + (i ? 1 : 0);
    s.id = std::string(value_from.substr(0, end));
    if (fields.size() == 10) {
      s.json_key = std::string(fields[7]);
      s.version_stage = std::string(fields[8]);
      s.version_id = std::string(fields[9]);
    }
    return s;
  }
  s.kind = SecretSource::Kind::kParameter;
  s.id = std::string(value_from);
  s.region = arn && fields[2] == "ssm" ? std::string(fields[3]) : std::string(task_region);
  return s;
}

std::string GoFormat(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string: return std::string(v.get_string());
    case json::kind::bool_: return v.get_bool() ? "true" : "false";
    case json::kind::null: return "<nil>";
    // encoding/json decodes every number into a float64.
    case json::kind::int64: return GoFloat(static_cast<double>(v.get_int64()));
    case json::kind::uint64: return GoFloat(static_cast<double>(v.get_uint64()));
    case json::kind::double_: return GoFloat(v.get_double());
    case json::kind::array: {
      std::string out = "[";
      for (const auto& e : v.get_array()) {
        if (out.size() > 1) out += ' ';
        out += GoFormat(e);
      }
      return out + "]";
    }
    case json::kind::object: {
      // Go prints a map's keys sorted.
      std::vector<std::pair<std::string, const json::value*>> entries;
      for (const auto& kv : v.get_object()) entries.emplace_back(std::string(kv.key()), &kv.value());
      std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      std::string out = "map[";
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i) out += ' ';
        out += entries[i].first + ":" + GoFormat(*entries[i].second);
      }
      return out + "]";
    }
  }
  return "";
}

Result<std::string> SecretJsonValue(std::string_view secret_string, std::string_view json_key) {
  boost::system::error_code ec;
  json::value v = json::parse(secret_string, ec);
  if (ec || !v.is_object()) {
    return Status::InvalidArgument("unable to retrieve secret from asm: the secret value is not a JSON object, so "
                                   "its key " + std::string(json_key) + " cannot be taken");
  }
  const json::object& o = v.get_object();
  auto it = o.find(json_key);
  if (it == o.end()) {
    return Status::InvalidArgument("unable to retrieve secret from asm: retrieved secret from Secrets Manager did "
                                   "not contain json key " + std::string(json_key));
  }
  return GoFormat(it->value());
}

}  // namespace wharf::model
