// ParsePolicy: IAM's checks in the order IAM makes them, so that a document with several
// faults gets the message IAM would give first: syntax, version, legacy parsing, statement
// ids, actions, resources, resource formats, action vendors, principals.
#include "iam/policy.h"

#include <algorithm>
#include <cctype>

#include "iam/policy_values.h"
#include "iam/strict_json.h"

namespace wharf::iam {
namespace {

// A document this large is far past every quota; refusing it before parsing bounds the work.
constexpr size_t kMaxDocumentBytes = 128 * 1024;

const char kSyntax[] = "Syntax errors in policy.";

Status Malformed(std::string message) { return Status::InvalidArgument(std::move(message)); }

struct OperatorName {
  std::string_view name;
  ConditionOperator op;
};
constexpr OperatorName kOperators[] = {
    {"StringEquals", ConditionOperator::kStringEquals},
    {"StringNotEquals", ConditionOperator::kStringNotEquals},
    {"StringEqualsIgnoreCase", ConditionOperator::kStringEqualsIgnoreCase},
    {"StringNotEqualsIgnoreCase", ConditionOperator::kStringNotEqualsIgnoreCase},
    {"StringLike", ConditionOperator::kStringLike},
    {"StringNotLike", ConditionOperator::kStringNotLike},
    {"NumericEquals", ConditionOperator::kNumericEquals},
    {"NumericNotEquals", ConditionOperator::kNumericNotEquals},
    {"NumericLessThan", ConditionOperator::kNumericLessThan},
    {"NumericLessThanEquals", ConditionOperator::kNumericLessThanEquals},
    {"NumericGreaterThan", ConditionOperator::kNumericGreaterThan},
    {"NumericGreaterThanEquals", ConditionOperator::kNumericGreaterThanEquals},
    {"DateEquals", ConditionOperator::kDateEquals},
    {"DateNotEquals", ConditionOperator::kDateNotEquals},
    {"DateLessThan", ConditionOperator::kDateLessThan},
    {"DateLessThanEquals", ConditionOperator::kDateLessThanEquals},
    {"DateGreaterThan", ConditionOperator::kDateGreaterThan},
    {"DateGreaterThanEquals", ConditionOperator::kDateGreaterThanEquals},
    {"Bool", ConditionOperator::kBool},
    {"BinaryEquals", ConditionOperator::kBinaryEquals},
    {"IpAddress", ConditionOperator::kIpAddress},
    {"NotIpAddress", ConditionOperator::kNotIpAddress},
    {"ArnEquals", ConditionOperator::kArnEquals},
    {"ArnLike", ConditionOperator::kArnLike},
    {"ArnNotEquals", ConditionOperator::kArnNotEquals},
    {"ArnNotLike", ConditionOperator::kArnNotLike},
    {"Null", ConditionOperator::kNull},
};

bool IsDate(ConditionOperator op) {
  return op >= ConditionOperator::kDateEquals && op <= ConditionOperator::kDateGreaterThanEquals;
}

// "ForAnyValue:StringLikeIfExists" -> its parts; nullopt for an unknown operator.
struct OperatorSpec {
  ConditionOperator op;
  SetOperator set;
  bool if_exists;
};
std::optional<OperatorSpec> ParseOperator(std::string_view name) {
  OperatorSpec spec{ConditionOperator::kStringEquals, SetOperator::kNone, false};
  if (name.starts_with("ForAnyValue:")) {
    spec.set = SetOperator::kForAnyValue;
    name.remove_prefix(12);
  } else if (name.starts_with("ForAllValues:")) {
    spec.set = SetOperator::kForAllValues;
    name.remove_prefix(13);
  }
  if (name.ends_with("IfExists")) {
    spec.if_exists = true;
    name.remove_suffix(8);
  }
  for (const auto& o : kOperators) {
    if (o.name == name) {
      if (o.op == ConditionOperator::kNull && spec.if_exists) return std::nullopt;
      spec.op = o.op;
      return spec;
    }
  }
  return std::nullopt;
}

bool IsStringOrStrings(const JsonValue& v) {
  if (v.IsString()) return true;
  if (!v.IsArray()) return false;
  return std::all_of(v.items.begin(), v.items.end(), [](const JsonValue& i) { return i.IsString(); });
}

std::vector<std::string> Strings(const JsonValue& v) {
  if (v.IsString()) return {v.text};
  std::vector<std::string> out;
  for (const auto& i : v.items) out.push_back(i.text);
  return out;
}

bool IsScalar(const JsonValue& v) {
  return v.IsString() || v.type == JsonValue::Type::kNumber || v.type == JsonValue::Type::kBool;
}

// ---- Syntax: the grammar's shapes and names ("Syntax errors in policy.") ----------------------

bool PrincipalSyntaxOk(const JsonValue& p) {
  if (p.IsString()) return p.text == "*";
  if (!p.IsObject()) return false;
  for (const auto& [type, ids] : p.members) {
    if (type != "AWS" && type != "Service" && type != "Federated" && type != "CanonicalUser") {
      return false;
    }
    if (!IsStringOrStrings(ids)) return false;
  }
  return true;
}

bool ConditionSyntaxOk(const JsonValue& c) {
  if (!c.IsObject()) return false;
  for (const auto& [op, block] : c.members) {
    if (!block.IsObject()) return false;
    // IAM accepts an unknown operator only with nothing under it.
    if (!ParseOperator(op) && !block.members.empty()) return false;
    for (const auto& [key, values] : block.members) {
      if (IsScalar(values)) continue;
      if (!values.IsArray()) return false;
      if (!std::all_of(values.items.begin(), values.items.end(), IsScalar)) return false;
    }
  }
  return true;
}

bool StatementSyntaxOk(const JsonValue& s) {
  if (!s.IsObject()) return false;
  static constexpr std::string_view kFields[] = {"Sid", "Effect", "Principal", "NotPrincipal",
                                                 "Action", "NotAction", "Resource",
                                                 "NotResource", "Condition"};
  for (const auto& m : s.members) {
    if (std::find(std::begin(kFields), std::end(kFields), m.first) == std::end(kFields)) {
      return false;
    }
  }
  auto both = [&](std::string_view a, std::string_view b) { return s.Find(a) && s.Find(b); };
  if (both("Action", "NotAction") || both("Resource", "NotResource") ||
      both("Principal", "NotPrincipal")) {
    return false;
  }
  const JsonValue* effect = s.Find("Effect");
  if (effect == nullptr || !effect->IsString()) return false;
  std::string e = ToLower(effect->text);
  if (e != "allow" && e != "deny") return false;
  for (std::string_view f : {"Action", "NotAction", "Resource", "NotResource"}) {
    if (const JsonValue* v = s.Find(f); v && !IsStringOrStrings(*v)) return false;
  }
  for (std::string_view f : {"Principal", "NotPrincipal"}) {
    if (const JsonValue* v = s.Find(f); v && !PrincipalSyntaxOk(*v)) return false;
  }
  if (const JsonValue* c = s.Find("Condition"); c && !ConditionSyntaxOk(*c)) return false;
  if (const JsonValue* sid = s.Find("Sid"); sid && !sid->IsString()) return false;
  return true;
}

// The statements of a syntactically valid document, or nullptr.
bool DocumentSyntaxOk(const JsonValue& doc, std::vector<const JsonValue*>* statements) {
  if (!doc.IsObject()) return false;
  for (const auto& m : doc.members) {
    if (m.first != "Version" && m.first != "Id" && m.first != "Statement") return false;
  }
  if (const JsonValue* v = doc.Find("Version")) {
    if (!v->IsString() || (v->text != "2012-10-17" && v->text != "2008-10-17")) return false;
  }
  if (const JsonValue* id = doc.Find("Id"); id && !id->IsString()) return false;
  const JsonValue* st = doc.Find("Statement");
  if (st == nullptr) return false;
  if (st->IsObject()) {
    statements->push_back(st);
  } else if (st->IsArray()) {
    for (const auto& s : st->items) statements->push_back(&s);
  } else {
    return false;
  }
  if (statements->empty()) return false;
  return std::all_of(statements->begin(), statements->end(),
                     [](const JsonValue* s) { return StatementSyntaxOk(*s); });
}

// ---- Resources: IAM's format checks -----------------------------------------------------------

// The first format error IAM reports for a Resource entry, or empty. Legacy parsing failures
// are reported separately (LegacyResourceOk).
std::string ResourceFormatError(const std::string& r) {
  if (r == "*") return {};
  std::vector<std::string_view> parts = SplitArn(r, /*max_parts=*/100);
  if (parts.size() < 2) return "Resource " + r + " must be in ARN format or \"*\".";
  if (parts[1] != "aws" && parts[1] != "*") {
    auto part = [&](size_t i) -> std::string {
      return i < parts.size() ? std::string(parts[i]) : std::string("*");
    };
    std::string service =
        parts.size() > 2 && (!parts[2].empty() || parts.size() > 3) ? std::string(parts[2]) : "*";
    std::string rest = "*";
    if (parts.size() > 5) {
      rest = parts[5];
      for (size_t j = 6; j < parts.size(); ++j) rest += ":" + std::string(parts[j]);
    }
    return "Partition \"" + std::string(parts[1]) + "\" is not valid for resource \"arn:" +
           std::string(parts[1]) + ":" + service + ":" + part(3) + ":" + part(4) + ":" + rest +
           "\".";
  }
  if (parts.size() < 3) return "Resource vendor must be fully qualified and cannot contain regexes.";
  std::string_view service = parts[2];
  bool has_region = parts.size() > 3 && !parts[3].empty();
  if (service == "iam" && has_region) return "IAM resource " + r + " cannot contain region information.";
  if (service == "s3" && has_region) return "Resource " + r + " can not contain region information.";
  if (service == "iam") {
    static constexpr std::string_view kIamPaths[] = {
        "user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/",
        "server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/",
        "report/", "access-report/"};
    std::string_view path;
    if (size_t at = NthColon(r, 5); at != std::string::npos) path = std::string_view(r).substr(at + 1);
    bool ok = std::any_of(std::begin(kIamPaths), std::end(kIamPaths),
                          [&](std::string_view p) { return path.starts_with(p); });
    if (!ok && path != "*" && path != "root") {
      std::string list;
      for (std::string_view p : kIamPaths) list += (list.empty() ? "" : ", ") + std::string(p);
      return "IAM resource path must either be \"*\" or start with " + list + ".";
    }
  }
  return {};
}

bool LegacyResourceOk(const std::string& r) {
  if (r == "*") return true;
  size_t colons = std::count(r.begin(), r.end(), ':');
  if (colons < 5 && r.find("::") != std::string::npos) return false;
  std::vector<std::string_view> parts = SplitArn(r, 100);
  return parts.size() > 2 && !parts[2].empty();
}

// ---- Principals ---------------------------------------------------------------------------------

bool IsAccountId(std::string_view s) {
  return s.size() == 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// An AWS principal as IAM accepts it, normalized (an account id becomes its root ARN); empty
// when IAM refuses it.
std::string NormalizeAwsPrincipal(const std::string& p) {
  if (p == "*") return p;
  if (IsAccountId(p)) return "arn:aws:iam::" + p + ":root";
  // A unique id (AIDA..., AROA...): what IAM shows once the named user or role is deleted.
  if (p.size() >= 16 && p.size() <= 128 && p[0] == 'A' &&
      std::all_of(p.begin(), p.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)); })) {
    return p;
  }
  if (p.find_first_of("*?") != std::string::npos) return {};
  std::vector<std::string_view> parts = SplitArn(p, 6);
  if (parts.size() != 6 || parts[0] != "arn" || parts[1] != "aws" || !parts[3].empty() ||
      !IsAccountId(parts[4])) {
    return {};
  }
  std::string_view what = parts[5];
  if (parts[2] == "iam") {
    if (what == "root" || what.starts_with("user/") || what.starts_with("role/")) return p;
  } else if (parts[2] == "sts") {
    if (what.starts_with("assumed-role/") || what.starts_with("federated-user/")) return p;
  }
  return {};
}

bool ServicePrincipalOk(std::string_view s) {
  if (s == "*") return false;
  size_t dot = s.find('.');
  if (dot == 0 || dot == std::string_view::npos) return false;
  if (!s.ends_with(".amazonaws.com") && !s.ends_with(".amazonaws.com.cn")) return false;
  if (s == "amazonaws.com") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  });
}

Result<PrincipalSet> CompilePrincipal(const JsonValue& p) {
  PrincipalSet set;
  if (p.IsString()) {
    set.any = true;
    return set;
  }
  for (const auto& [type, ids] : p.members) {
    for (const std::string& id : Strings(ids)) {
      if (type == "AWS") {
        std::string n = NormalizeAwsPrincipal(id);
        if (n.empty()) return Malformed("Invalid principal in policy: \"AWS\":\"" + id + "\"");
        if (n == "*") set.any = true;
        else set.aws.push_back(std::move(n));
      } else if (type == "Service") {
        if (!ServicePrincipalOk(id)) return Malformed("Invalid principal in policy: \"SERVICE\":\"" + id + "\"");
        set.service.push_back(id);
      } else if (type == "Federated") {
        if (id.empty()) return Malformed("Invalid principal in policy: \"FEDERATED\":\"" + id + "\"");
        set.federated.push_back(id);
      } else {
        set.canonical_user.push_back(id);
      }
    }
  }
  return set;
}

// ---- Compiling what evaluation needs --------------------------------------------------------

Status CheckActionVendor(const std::string& action) {
  if (action == "*") return Status::OK();
  size_t colon = action.find(':');
  if (colon == std::string::npos) {
    return Malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
  }
  if (action.find(':', colon + 1) != std::string::npos) {
    return Malformed("Actions/Condition can contain only one colon.");
  }
  std::string_view vendor = std::string_view(action).substr(0, colon);
  bool ok = vendor == "*" || (!vendor.empty() && std::all_of(vendor.begin(), vendor.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
            }));
  if (!ok) return Malformed("Vendor " + std::string(vendor) + " is not valid");
  return Status::OK();
}

ActionPattern CompileAction(const std::string& action) {
  std::string lower = ToLower(action);
  if (lower == "*") return {"*", MakePattern("*", false)};
  size_t colon = lower.find(':');
  return {lower.substr(0, colon), MakePattern(lower.substr(colon + 1), false)};
}

bool UsesVariables(ConditionOperator op) {
  switch (op) {
    case ConditionOperator::kStringEquals: case ConditionOperator::kStringNotEquals:
    case ConditionOperator::kStringEqualsIgnoreCase: case ConditionOperator::kStringNotEqualsIgnoreCase:
    case ConditionOperator::kStringLike: case ConditionOperator::kStringNotLike:
    case ConditionOperator::kArnEquals: case ConditionOperator::kArnLike:
    case ConditionOperator::kArnNotEquals: case ConditionOperator::kArnNotLike:
    case ConditionOperator::kBool:
      return true;
    default:
      return false;
  }
}

ConditionValue CompileConditionValue(const std::string& text, ConditionOperator op, bool variables) {
  ConditionValue v;
  v.text = text;
  bool vars = variables && UsesVariables(op);
  bool fold = op == ConditionOperator::kStringEqualsIgnoreCase ||
              op == ConditionOperator::kStringNotEqualsIgnoreCase;
  v.pattern = MakePattern(fold ? ToLower(text) : text, vars);
  if (op >= ConditionOperator::kNumericEquals && op <= ConditionOperator::kNumericGreaterThanEquals) {
    v.number = ParseNumber(text);
  }
  if (IsDate(op)) v.epoch_ms = ParseDate(text);
  if (op == ConditionOperator::kIpAddress || op == ConditionOperator::kNotIpAddress) {
    v.cidr = ParseCidr(text);
  }
  return v;
}

Result<std::vector<Condition>> CompileConditions(const JsonValue& block, bool variables) {
  std::vector<Condition> out;
  for (const auto& [op_name, keys] : block.members) {
    std::optional<OperatorSpec> spec = ParseOperator(op_name);
    if (!spec) continue;  // an unknown operator with nothing under it
    for (const auto& [key, values] : keys.members) {
      if (key.find(':') == std::string::npos) {
        return Malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
      }
      Condition c;
      c.op = spec->op;
      c.set = spec->set;
      c.if_exists = spec->if_exists;
      c.key = ToLower(key);
      auto add = [&](const JsonValue& v) {
        c.values.push_back(CompileConditionValue(v.text, c.op, variables));
      };
      if (values.IsArray()) {
        for (const auto& v : values.items) add(v);
      } else {
        add(values);
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

bool SidAlphanumeric(const std::string& sid) {
  return std::all_of(sid.begin(), sid.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

// Date values are checked by IAM's legacy parser.
bool LegacyConditionsOk(const JsonValue* block) {
  if (block == nullptr) return true;
  for (const auto& [op_name, keys] : block->members) {
    std::optional<OperatorSpec> spec = ParseOperator(op_name);
    if (!spec || !IsDate(spec->op)) continue;
    for (const auto& [key, values] : keys.members) {
      if (values.IsArray()) {
        for (const auto& v : values.items) {
          if (!ParseDate(v.text)) return false;
        }
      } else if (!ParseDate(values.text)) {
        return false;
      }
    }
  }
  return true;
}

bool HasNonEmpty(const JsonValue& s, std::string_view a, std::string_view b) {
  const JsonValue* v = s.Find(a);
  if (v == nullptr) v = s.Find(b);
  return v != nullptr && (v->IsString() || !v->items.empty());
}


using Statements = std::vector<const JsonValue*>;

const char kNoPrincipals[] =
    "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in "
    "policy has a statement with no principals!";

// IAM's legacy parser: the exact case of Effect, date values, the rough shape of resources.
// A resource's format error is not reported here but later (after the checks for actions
// and resources), as IAM does: it is returned in `resource_error`.
Status CheckLegacyParsing(const Statements& statements, std::string* resource_error) {
  for (const JsonValue* s : statements) {
    const std::string& effect = s->Find("Effect")->text;
    if (effect != "Allow" && effect != "Deny") return Malformed("The policy failed legacy parsing");
    if (!LegacyConditionsOk(s->Find("Condition"))) return Malformed("The policy failed legacy parsing");
  }
  for (const JsonValue* s : statements) {
    for (std::string_view f : {"Resource", "NotResource"}) {
      const JsonValue* v = s->Find(f);
      if (v == nullptr) continue;
      std::vector<std::string> rs = Strings(*v);
      // IAM reports the entries of a list in reverse sorted order.
      std::vector<std::string> sorted = rs;
      std::sort(sorted.rbegin(), sorted.rend());
      std::string first_error;
      for (const std::string& r : sorted) {
        if (first_error.empty()) first_error = ResourceFormatError(r);
      }
      if (!first_error.empty()) {
        if (resource_error->empty()) *resource_error = first_error;
      } else if (resource_error->empty() && !std::all_of(rs.begin(), rs.end(), LegacyResourceOk)) {
        return Malformed("The policy failed legacy parsing");
      }
    }
  }
  return Status::OK();
}

// Unique statement ids, then actions, then resources (or their absence in a trust policy),
// then the resource format error found earlier, then action vendors.
Status CheckElements(const Statements& statements, PolicyKind kind, bool resource_implied,
                     const std::string& resource_error) {
  std::vector<std::string_view> sids;
  for (const JsonValue* s : statements) {
    if (const JsonValue* sid = s->Find("Sid"); sid && !sid->text.empty()) sids.push_back(sid->text);
  }
  std::sort(sids.begin(), sids.end());
  if (std::adjacent_find(sids.begin(), sids.end()) != sids.end()) {
    return Malformed("Statement IDs (SID) in a single policy must be unique.");
  }
  for (const JsonValue* s : statements) {
    if (!HasNonEmpty(*s, "Action", "NotAction")) return Malformed("Policy statement must contain actions.");
  }
  for (const JsonValue* s : statements) {
    if (kind == PolicyKind::kTrust) {
      if (s->Find("Resource")) return Malformed("Has prohibited field Resource");
      if (s->Find("NotResource")) return Malformed("Has prohibited field NotResource");
    } else if (!resource_implied && !HasNonEmpty(*s, "Resource", "NotResource")) {
      return Malformed("Policy statement must contain resources.");
    }
  }
  if (!resource_error.empty()) return Malformed(resource_error);
  for (const JsonValue* s : statements) {
    for (std::string_view f : {"Action", "NotAction"}) {
      if (const JsonValue* v = s->Find(f)) {
        for (const std::string& a : Strings(*v)) RETURN_IF_ERROR(CheckActionVendor(a));
      }
    }
  }
  return Status::OK();
}

// The kind's rules for Principal and Sid, and the principals compiled.
Status CompilePrincipals(const JsonValue& s, PolicyKind kind, Statement* st) {
  const JsonValue* principal = s.Find("Principal");
  st->not_principal = principal == nullptr && s.Find("NotPrincipal") != nullptr;
  if (st->not_principal) principal = s.Find("NotPrincipal");
  switch (kind) {
    case PolicyKind::kIdentity:
      if (principal) return Malformed("Policy document should not specify a principal.");
      if (!SidAlphanumeric(st->sid)) {
        return Malformed("Statement IDs (SID) must be alpha-numeric. Check that your input "
                         "satisfies the regular expression [0-9A-Za-z]*");
      }
      return Status::OK();
    case PolicyKind::kResource:
      if (!principal) return Malformed("Missing required field Principal");
      break;
    case PolicyKind::kTrust:
      if (!principal) return Malformed(kNoPrincipals);
      break;
  }
  ASSIGN_OR_RETURN(st->principals, CompilePrincipal(*principal));
  st->has_principal = true;
  if (st->principals.empty()) return Malformed(kNoPrincipals);
  return Status::OK();
}

Result<Statement> CompileStatement(const JsonValue& s, PolicyKind kind, bool variables) {
  Statement st;
  if (const JsonValue* sid = s.Find("Sid")) st.sid = sid->text;
  st.allow = s.Find("Effect")->text == "Allow";
  RETURN_IF_ERROR(CompilePrincipals(s, kind, &st));
  const JsonValue* actions = s.Find("Action");
  st.not_action = actions == nullptr;
  if (st.not_action) actions = s.Find("NotAction");
  for (const std::string& a : Strings(*actions)) st.actions.push_back(CompileAction(a));
  const JsonValue* resources = s.Find("Resource");
  st.not_resource = resources == nullptr && s.Find("NotResource") != nullptr;
  if (st.not_resource) resources = s.Find("NotResource");
  st.has_resource = resources != nullptr;
  if (resources) {
    for (const std::string& r : Strings(*resources)) st.resources.push_back(MakeArnPattern(r, variables));
  }
  if (const JsonValue* c = s.Find("Condition")) {
    ASSIGN_OR_RETURN(st.conditions, CompileConditions(*c, variables));
  }
  return st;
}

}  // namespace

Result<Policy> ParsePolicy(std::string_view document, ParseOptions options) {
  if (document.size() > kMaxDocumentBytes) return Malformed(kSyntax);
  std::optional<JsonValue> doc = ParseStrictJson(document);
  Statements statements;
  if (!doc || !DocumentSyntaxOk(*doc, &statements)) return Malformed(kSyntax);
  Policy policy;
  if (const JsonValue* v = doc->Find("Version")) policy.version = v->text;
  if (const JsonValue* id = doc->Find("Id")) policy.id = id->text;
  if (options.managed && policy.version != "2012-10-17") {
    return Malformed("Policy document must be version 2012-10-17 or greater.");
  }
  std::string resource_error;
  RETURN_IF_ERROR(CheckLegacyParsing(statements, &resource_error));
  RETURN_IF_ERROR(CheckElements(statements, options.kind, options.resource_implied, resource_error));
  for (const JsonValue* s : statements) {
    ASSIGN_OR_RETURN(Statement st, CompileStatement(*s, options.kind, policy.variables_enabled()));
    policy.statements.push_back(std::move(st));
  }
  return policy;
}

size_t PolicySize(std::string_view document) {
  size_t n = 0;
  for (char c : document) {
    auto b = static_cast<unsigned char>(c);
    if ((b & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte: part of one character
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    ++n;
  }
  return n;
}

size_t PolicyQuotaSize(PolicyQuota quota) {
  switch (quota) {
    case PolicyQuota::kManaged: return kManagedPolicyMaxSize;
    case PolicyQuota::kTrust: return kTrustPolicyMaxSize;
    case PolicyQuota::kUserInline: return kUserInlinePoliciesMaxSize;
    case PolicyQuota::kGroupInline: return kGroupInlinePoliciesMaxSize;
    case PolicyQuota::kRoleInline: return kRoleInlinePoliciesMaxSize;
  }
  return 0;
}

std::string PolicySizeError(PolicyQuota quota, std::string_view entity_name) {
  std::string size = std::to_string(PolicyQuotaSize(quota));
  switch (quota) {
    case PolicyQuota::kManaged: return "Cannot exceed quota for PolicySize: " + size;
    case PolicyQuota::kTrust: return "Cannot exceed quota for ACLSizePerRole: " + size;
    case PolicyQuota::kUserInline:
      return "Maximum policy size of " + size + " bytes exceeded for user " + std::string(entity_name);
    case PolicyQuota::kGroupInline:
      return "Maximum policy size of " + size + " bytes exceeded for group " + std::string(entity_name);
    case PolicyQuota::kRoleInline:
      return "Maximum policy size of " + size + " bytes exceeded for role " + std::string(entity_name);
  }
  return {};
}

}  // namespace wharf::iam
