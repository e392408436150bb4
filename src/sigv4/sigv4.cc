#include "sigv4/sigv4.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <unordered_map>
#include <variant>

#include "base/crypto.h"
#include "base/percent.h"

namespace wharf::sigv4 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Trims and collapses runs of spaces, as SigV4 canonical header values want.
std::string CanonicalValue(std::string_view v) {
  v = Trim(v);
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (auto [key, value] : SplitParams(query)) {
    params.emplace_back(PercentEncode(PercentDecode(key, false), false),
                        PercentEncode(PercentDecode(value, false), false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out += k + "=" + v;
  }
  return out;
}

std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  std::tm tm{};
  std::string str(s);
  if (!strptime(str.c_str(), "%Y%m%dT%H%M%SZ", &tm)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view s) {
  std::tm tm{};
  std::string str(s);
  if (!strptime(str.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

struct ParsedAuthorization {
  std::string credential, signed_headers, signature;
};

AuthResult Fail(AuthFailure kind, std::string message) {
  AuthResult r;
  r.failure = kind;
  r.message = std::move(message);
  return r;
}

std::optional<std::string> Header(const SignedRequest& r, std::string_view name) {
  std::optional<std::string> out;
  for (const auto& [k, v] : r.headers) {
    if (k != name) continue;
    if (out) {
      *out += "," + CanonicalValue(v);
    } else {
      out = CanonicalValue(v);
    }
  }
  return out;
}

// Splits "AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..".
std::variant<ParsedAuthorization, AuthResult> ParseAuthorization(std::string_view header) {
  std::string_view rest = Trim(header);
  size_t sp = rest.find(' ');
  std::string_view algorithm = rest.substr(0, sp);
  if (algorithm != kAlgorithm) {
    return Fail(AuthFailure::kIncomplete, "Unsupported AWS 'algorithm': '" +
                                              std::string(algorithm) +
                                              "' (only AWS4-HMAC-SHA256 for now). ");
  }
  rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  ParsedAuthorization p;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view part = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Fail(AuthFailure::kIncomplete,
                  "'" + std::string(part) +
                      "' not a valid key=value pair (missing equal-sign) in Authorization header: '" +
                      std::string(header) + "'.");
    }
    std::string_view key = part.substr(0, eq), value = part.substr(eq + 1);
    if (key == "Credential") p.credential = value;
    if (key == "SignedHeaders") p.signed_headers = value;
    if (key == "Signature") p.signature = value;
  }
  std::string missing;
  if (p.credential.empty()) missing += "Authorization header requires 'Credential' parameter. ";
  if (p.signature.empty()) missing += "Authorization header requires 'Signature' parameter. ";
  if (p.signed_headers.empty()) missing += "Authorization header requires 'SignedHeaders' parameter. ";
  if (!missing.empty()) {
    return Fail(AuthFailure::kIncomplete, missing + "Authorization=" + std::string(header));
  }
  return p;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// The decoded query parameters of `target` (path and query).
std::vector<std::pair<std::string, std::string>> QueryParams(std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t q = target.find('?');
  if (q == std::string_view::npos) return out;
  for (auto [key, value] : SplitParams(target.substr(q + 1))) {
    out.emplace_back(PercentDecode(key, false), PercentDecode(value, false));
  }
  return out;
}

const std::string* Param(const std::vector<std::pair<std::string, std::string>>& params,
                         std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::optional<Credential> CredentialOf(std::string_view text) {
  auto parts = Split(text, '/');
  if (parts.size() != 5) return std::nullopt;
  return Credential{parts[0], parts[1], parts[2], parts[3]};
}

// `target` without its X-Amz-Signature parameter: what a presigned URL's signature covers.
std::string WithoutSignature(std::string_view target) {
  size_t q = target.find('?');
  std::string out(target.substr(0, q));
  std::string query;
  for (auto [key, value] : SplitParams(target.substr(q + 1))) {
    if (key == "X-Amz-Signature") continue;
    query += (query.empty() ? "" : "&") + std::string(key) + "=" + std::string(value);
  }
  return out + "?" + query;
}

}  // namespace

std::optional<Credential> ParsePresignedCredential(std::string_view target) {
  auto params = QueryParams(target);
  const std::string* algorithm = Param(params, "X-Amz-Algorithm");
  const std::string* credential = Param(params, "X-Amz-Credential");
  if (!algorithm || !credential) return std::nullopt;
  return CredentialOf(*credential);
}

std::optional<Credential> ParseCredential(std::string_view authorization) {
  auto parsed = ParseAuthorization(authorization);
  auto* p = std::get_if<ParsedAuthorization>(&parsed);
  if (!p) return std::nullopt;
  auto parts = Split(p->credential, '/');
  if (parts.size() != 5) return std::nullopt;
  return Credential{parts[0], parts[1], parts[2], parts[3]};
}

std::string CanonicalRequest(const SignedRequest& request,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash) {
  std::string_view target = request.target;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  if (path.empty()) path = "/";
  std::string out;
  out.append(request.method).push_back('\n');
  // Services other than S3 encode the (already encoded) path once more.
  out.append(PercentEncode(path, true)).push_back('\n');
  out.append(CanonicalQuery(query)).push_back('\n');
  for (const std::string& name : signed_headers) {
    out.append(name).push_back(':');
    out.append(Header(request, name).value_or("")).push_back('\n');
  }
  out.push_back('\n');
  for (size_t i = 0; i < signed_headers.size(); ++i) {
    if (i) out.push_back(';');
    out.append(signed_headers[i]);
  }
  out.push_back('\n');
  out.append(payload_hash);
  return out;
}

std::string SigningKey(std::string_view secret, const Credential& c) {
  // The key changes once a day per access key, so each loop thread keeps the ones it made:
  // four HMACs saved on every request.
  thread_local std::unordered_map<std::string, std::string> cache;
  std::string cache_key = std::string(secret) + '\0' + c.date + '\0' + c.region + '\0' + c.service;
  auto hit = cache.find(cache_key);
  if (hit != cache.end()) return hit->second;
  if (cache.size() > 1024) cache.clear();
  std::string k = HmacSha256("AWS4" + std::string(secret), c.date);
  k = HmacSha256(k, c.region);
  k = HmacSha256(k, c.service);
  k = HmacSha256(k, "aws4_request");
  cache.emplace(std::move(cache_key), k);
  return k;
}

std::string FormatAmzDate(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

namespace {

// What a request claims about its signature, from the Authorization header or from a
// presigned URL's query.
struct Claim {
  std::string credential, signed_headers, signature, date_text;
  std::chrono::system_clock::time_point when;
  std::optional<std::chrono::seconds> expires;  // presigned only
  std::string security_token;
};

std::variant<Claim, AuthResult> HeaderClaim(const SignedRequest& request, const std::string& authorization) {
  auto parsed = ParseAuthorization(authorization);
  if (auto* failed = std::get_if<AuthResult>(&parsed)) return *failed;
  auto& auth = std::get<ParsedAuthorization>(parsed);
  Claim claim{auth.credential, auth.signed_headers, auth.signature, {}, {}, {}, {}};
  std::optional<std::chrono::system_clock::time_point> when;
  if (auto amz_date = Header(request, "x-amz-date")) {
    claim.date_text = *amz_date;
    when = ParseAmzDate(*amz_date);
    if (!when) {
      return Fail(AuthFailure::kIncomplete, "Date must be in ISO-8601 'basic format'. Got '" +
                                                *amz_date + "'. See http://en.wikipedia.org/wiki/ISO_8601");
    }
  } else if (auto http_date = Header(request, "date")) {
    when = ParseHttpDate(*http_date);
    if (when) claim.date_text = FormatAmzDate(*when);
  }
  if (!when) {
    return Fail(AuthFailure::kIncomplete,
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                "header. Authorization=" + authorization);
  }
  claim.when = *when;
  claim.security_token = Header(request, "x-amz-security-token").value_or("");
  return claim;
}

std::variant<Claim, AuthResult> QueryClaim(const SignedRequest& request) {
  auto params = QueryParams(request.target);
  auto get = [&](std::string_view name) {
    const std::string* v = Param(params, name);
    return v ? *v : std::string();
  };
  Claim claim{get("X-Amz-Credential"), get("X-Amz-SignedHeaders"), get("X-Amz-Signature"),
              get("X-Amz-Date"), {}, {}, get("X-Amz-Security-Token")};
  if (get("X-Amz-Algorithm") != kAlgorithm) {
    return Fail(AuthFailure::kIncomplete, "Unsupported AWS 'algorithm': '" + get("X-Amz-Algorithm") +
                                              "' (only AWS4-HMAC-SHA256 for now). ");
  }
  std::string missing;
  for (std::string_view name : {"X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature",
                                "X-Amz-Date", "X-Amz-Expires"}) {
    if (!Param(params, name)) missing += "AWS query-string parameters must include '" + std::string(name) + "'. ";
  }
  if (!missing.empty()) return Fail(AuthFailure::kIncomplete, missing + "Re-examine the query-string parameters.");
  auto when = ParseAmzDate(claim.date_text);
  if (!when) {
    return Fail(AuthFailure::kIncomplete, "Date must be in ISO-8601 'basic format'. Got '" +
                                              claim.date_text + "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }
  claim.when = *when;
  std::string expires = get("X-Amz-Expires");
  bool digits = !expires.empty() && expires.size() < 9 &&
                std::all_of(expires.begin(), expires.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stol(expires) > 604800) {
    return Fail(AuthFailure::kIncomplete,
                "X-Amz-Expires must be a whole number of seconds from 0 to 604800 (7 days)");
  }
  claim.expires = std::chrono::seconds(std::stol(expires));
  return claim;
}

}  // namespace

AuthResult VerifySigV4(const SignedRequest& request, const SigV4Options& options,
                       const SecretLookup& secrets, std::chrono::system_clock::time_point now) {
  auto authorization = Header(request, "authorization");
  std::variant<Claim, AuthResult> claimed;
  if (authorization && authorization->rfind("AWS4-", 0) == 0) {
    claimed = HeaderClaim(request, *authorization);
  } else if (!authorization && ParsePresignedCredential(request.target)) {
    claimed = QueryClaim(request);
  } else {
    return Fail(AuthFailure::kMissing, "Request is missing Authentication Token");
  }
  if (auto* failed = std::get_if<AuthResult>(&claimed)) return *failed;
  const Claim& claim = std::get<Claim>(claimed);
  const std::string& date_text = claim.date_text;

  auto parts = Split(claim.credential, '/');
  if (parts.size() != 5) {
    return Fail(AuthFailure::kIncomplete,
                "Credential must have exactly 5 slash-delimited elements, e.g. "
                "keyid/date/region/service/term, got '" + claim.credential + "'");
  }
  AuthResult result;
  result.credential = Credential{parts[0], parts[1], parts[2], parts[3]};
  result.security_token = claim.security_token;
  result.presigned = claim.expires.has_value();
  const Credential& cred = result.credential;

  std::string scope_problems;
  if (!options.region.empty() && cred.region != options.region) {
    scope_problems += "Credential should be scoped to a valid region, not '" + cred.region + "'. ";
  }
  if (!options.service.empty() && cred.service != options.service) {
    scope_problems += "Credential should be scoped to correct service: '" + options.service + "'. ";
  }
  if (parts[4] != "aws4_request") {
    scope_problems += "Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                      parts[4] + "'. ";
  }
  if (cred.date != date_text.substr(0, 8)) {
    scope_problems += "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                      "date from HTTP: '" + cred.date + "' != '" + date_text.substr(0, 8) +
                      "', from '" + date_text + "'.";
  }
  if (!scope_problems.empty()) {
    while (!scope_problems.empty() && scope_problems.back() == ' ') scope_problems.pop_back();
    return Fail(AuthFailure::kBadScope, scope_problems);
  }

  if (claim.expires) {
    // A presigned URL is good from its date until its expiry (with the usual skew allowed
    // for a date in the future).
    if (now > claim.when + *claim.expires) return Fail(AuthFailure::kExpired, "Request has expired");
    if (claim.when > now + options.max_skew) {
      return Fail(AuthFailure::kExpired, "Request is not yet valid");
    }
  } else if (claim.when < now - options.max_skew) {
    return Fail(AuthFailure::kExpired, "Signature expired: " + date_text + " is now earlier than " +
                                           FormatAmzDate(now - options.max_skew) + " (" +
                                           FormatAmzDate(now) + " - 15 min.)");
  } else if (claim.when > now + options.max_skew) {
    return Fail(AuthFailure::kExpired, "Signature not yet current: " + date_text +
                                           " is still later than " +
                                           FormatAmzDate(now + options.max_skew) + " (" +
                                           FormatAmzDate(now) + " + 15 min.)");
  }

  std::vector<std::string> signed_headers = Split(claim.signed_headers, ';');
  if (std::find(signed_headers.begin(), signed_headers.end(), "host") == signed_headers.end()) {
    return Fail(AuthFailure::kBadSignature,
                "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }

  if (options.accept_any_key) return result;

  auto secret = secrets(cred.access_key_id);
  if (!secret) {
    return Fail(AuthFailure::kUnknownKey, "The security token included in the request is invalid.");
  }

  // Presigned or not, services other than S3 sign the body's hash (botocore's SigV4QueryAuth
  // does too; only S3's presigned URLs say UNSIGNED-PAYLOAD).
  std::string body_hash = HexEncode(Sha256(request.body));
  std::string payload_hash = body_hash;
  if (auto declared = Header(request, "x-amz-content-sha256")) {
    if (*declared != "UNSIGNED-PAYLOAD" && *declared != body_hash) {
      return Fail(AuthFailure::kBadSignature,
                  "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    payload_hash = *declared;
  }
  // A presigned URL's signature covers its query without X-Amz-Signature: a copy of the
  // request with that target (only then: copying every header cost a request microseconds).
  std::string unsigned_target;
  std::optional<SignedRequest> presigned;
  if (claim.expires) {
    unsigned_target = WithoutSignature(request.target);
    presigned = request;
    presigned->target = unsigned_target;
  }
  std::string canonical = CanonicalRequest(presigned ? *presigned : request, signed_headers, payload_hash);
  std::string string_to_sign = std::string(kAlgorithm) + "\n" + date_text + "\n" + cred.date + "/" +
                               cred.region + "/" + cred.service + "/aws4_request\n" +
                               HexEncode(Sha256(canonical));
  std::string expected = HexEncode(HmacSha256(SigningKey(*secret, cred), string_to_sign));
  if (!ConstantTimeEquals(expected, claim.signature)) {
    return Fail(AuthFailure::kBadSignature,
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method. Consult the service "
                "documentation for details.");
  }
  return result;
}

void SignRequest(std::vector<std::pair<std::string, std::string>>& headers, std::string_view method,
                 std::string_view target, std::string_view body, const std::string& access_key_id,
                 const std::string& secret, const std::string& region, const std::string& service,
                 std::chrono::system_clock::time_point now) {
  std::string date = FormatAmzDate(now);
  std::string payload_hash = HexEncode(Sha256(body));
  headers.emplace_back("x-amz-date", date);
  headers.emplace_back("x-amz-content-sha256", payload_hash);
  std::map<std::string, bool> names;
  for (const auto& [k, v] : headers) names[k] = true;
  std::vector<std::string> signed_headers;
  for (const auto& [k, _] : names) signed_headers.push_back(k);
  SignedRequest req{method, target, headers, body};
  Credential cred{access_key_id, date.substr(0, 8), region, service};
  std::string canonical = CanonicalRequest(req, signed_headers, payload_hash);
  std::string string_to_sign = std::string(kAlgorithm) + "\n" + date + "\n" + cred.date + "/" +
                               region + "/" + service + "/aws4_request\n" +
                               HexEncode(Sha256(canonical));
  std::string signature = HexEncode(HmacSha256(SigningKey(secret, cred), string_to_sign));
  std::string joined;
  for (const auto& h : signed_headers) joined += (joined.empty() ? "" : ";") + h;
  headers.emplace_back("authorization", std::string(kAlgorithm) + " Credential=" + access_key_id +
                                            "/" + cred.date + "/" + region + "/" + service +
                                            "/aws4_request, SignedHeaders=" + joined +
                                            ", Signature=" + signature);
}

}  // namespace wharf::sigv4
