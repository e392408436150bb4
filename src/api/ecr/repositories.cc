// Repositories: Create, Describe, Delete, PutImageTagMutability,
// PutImageScanningConfiguration, repository policies, tags.
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/ecr/common.h"
#include "api/ecr/handlers.h"
#include "api/ecr/kms_data_keys.h"
#include "base/random.h"
#include "iam/policy.h"
#include "base/crypto.h"
#include "model/keys.h"

namespace wharf::api::ecr {
namespace json = boost::json;

namespace {

bool ValidRepositoryName(std::string_view name) {
  if (name.size() < 2 || name.size() > 256) return false;
  char prev = '/';
  for (char c : name) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    bool sep = c == '.' || c == '_' || c == '-' || c == '/';
    if (!alnum && !sep) return false;
    if (sep && !(prev >= 'a' && prev <= 'z') && !(prev >= '0' && prev <= '9')) return false;
    prev = c;
  }
  return !(prev == '.' || prev == '_' || prev == '-' || prev == '/');
}

std::string RepositoryArn(const Registry& r, std::string_view name) {
  return "arn:aws:ecr:" + r.options().region + ":" + r.options().account_id + ":repository/" + std::string(name);
}

std::optional<AwsError> CheckTags(const json::array& tags) {
  for (const auto& t : tags) {
    std::string key = GetString(t.as_object(), "Key");
    if (key.empty() || key.size() > 128) return AwsError::Client("InvalidTagParameterException", "Invalid tag key.");
    if (key.compare(0, 4, "aws:") == 0) {
      return AwsError::Client("InvalidTagParameterException", "Tag keys beginning with 'aws:' are reserved.");
    }
  }
  if (tags.size() > 50) return AwsError::Client("TooManyTagsException", "A repository can have at most 50 tags.");
  return std::nullopt;
}

std::optional<AwsError> CheckMutability(const object& in) {
  std::string m = GetString(in, "imageTagMutability", "MUTABLE");
  bool with_exclusion = m.find("_WITH_EXCLUSION") != std::string::npos;
  bool has_filters = !GetArray(in, "imageTagMutabilityExclusionFilters").empty();
  if (with_exclusion != has_filters) {
    return InvalidParameter("imageTagMutabilityExclusionFilters must be given exactly when imageTagMutability "
                            "is MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION.");
  }
  return std::nullopt;
}

// The name a tagging ARN names, or empty.
std::string NameFromArn(const Registry& r, std::string_view arn) {
  std::string prefix = RepositoryArn(r, "");
  if (arn.substr(0, prefix.size()) != prefix) return "";
  return std::string(arn.substr(prefix.size()));
}

Outcome WithRepositoryArn(Registry& r, const object& in,
                          const std::function<Outcome(const object& by_name)>& then) {
  std::string name = NameFromArn(r, GetString(in, "resourceArn"));
  if (name.empty()) return InvalidParameter("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'must be a repository ARN'");
  return then(object{{"repositoryName", name}});
}

}  // namespace

Outcome CreateRepository(Registry& r, const RequestContext& ctx, object& in) {
  std::string name = RepositoryName(in);
  if (!ValidRepositoryName(name)) {
    return InvalidParameter("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy "
                            "regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''");
  }
  if (auto err = CheckTags(GetArray(in, "tags"))) return *err;
  if (auto err = CheckMutability(in)) return *err;
  const object& encryption = GetObject(in, "encryptionConfiguration");
  std::string encryption_type = GetString(encryption, "encryptionType", "AES256");
  object encryption_shape{{"encryptionType", encryption_type}};
  object sealing;  // the record's dataKey and blobNamespace (model/repository.h)
  if (encryption_type == "KMS_DSSE") {
    return InvalidParameter("wharf does not support KMS_DSSE encryption of repositories: use KMS or AES256.");
  }
  if (encryption_type == "AES256" && Has(encryption, "kmsKey")) {
    return InvalidParameter("Invalid parameter at 'encryptionConfiguration': kmsKey can be specified only when "
                            "encryptionType is KMS.");
  }
  if (encryption_type == "KMS") {
    // The layers of the repository are sealed under a data key of its own, wrapped by this KMS
    // key (alias/aws/ecr, made on first use, when none is named).
    if (!r.data_keys()) return AwsError::Server("ServerException", "KMS is not available in this region.");
    auto made = r.data_keys()->Make(RepositoryArn(r, name), GetString(encryption, "kmsKey", "alias/aws/ecr"));
    if (!made.ok()) return made.status().IsFailedPrecondition() ? KmsException(made.status()) : EcrError(made.status());
    encryption_shape["kmsKey"] = made->key_arn;
    SecureRandom random;
    sealing = object{{"dataKey", made->wrapped_base64}, {"blobNamespace", RandomHex(random, 32)}};
  }
  object repository{
      {"repositoryArn", RepositoryArn(r, name)},
      {"registryId", r.options().account_id},
      {"repositoryName", name},
      {"repositoryUri", r.options().host + "/" + name},
      {"createdAt", EpochSeconds(ctx.now)},
      {"imageTagMutability", GetString(in, "imageTagMutability", "MUTABLE")},
      {"imageScanningConfiguration",
       object{{"scanOnPush", GetBool(GetObject(in, "imageScanningConfiguration"), "scanOnPush").value_or(false)}}},
      {"encryptionConfiguration", encryption_shape},
  };
  if (Has(in, "imageTagMutabilityExclusionFilters")) {
    repository["imageTagMutabilityExclusionFilters"] = in["imageTagMutabilityExclusionFilters"];
  }
  object record{{"repository", repository}, {"tags", GetArray(in, "tags")}};
  for (const auto& [k, v] : sealing) record[k] = v;
  std::string key = Registry::RepositoryKey(name);
  ASSIGN_OR_FAIL(auto result,
                 r.store().Commit(store::Txn{{{key, 0}}, {store::Op::Put(key, json::serialize(record))}}), EcrError);
  if (!result.succeeded) {
    return AwsError::Client("RepositoryAlreadyExistsException",
                            "The repository with name '" + name + "' already exists in the registry with id '" +
                                r.options().account_id + "'");
  }
  return object{{"repository", std::move(repository)}};
}

Outcome DescribeRepositories(Registry& r, const RequestContext&, object& in) {
  json::array out;
  const json::array& names = GetArray(in, "repositoryNames");
  if (!names.empty()) {
    for (const auto& n : names) {
      auto loaded = LoadRepository(r, object{{"repositoryName", n}, {"registryId", RegistryId(r, in)}});
      if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
      out.push_back(std::get<RepositoryRecord>(loaded).shape());
    }
    return object{{"repositories", std::move(out)}};
  }
  size_t page_size = static_cast<size_t>(GetInt(in, "maxResults").value_or(1000));
  std::string after;
  if (Has(in, "nextToken")) {
    auto token = Base64Decode(GetString(in, "nextToken"));
    if (!token) return InvalidParameter("Invalid parameter at 'nextToken'");
    after = *token;
  }
  ASSIGN_OR_FAIL(store::Page page, r.store().List(model::keys::kRepositories, after, page_size), EcrError);
  for (const auto& kv : page.items) {
    ASSIGN_OR_FAIL(object record, ParseObject(kv.value), EcrError);
    out.push_back(record["repository"]);
  }
  object result{{"repositories", std::move(out)}};
  if (page.more) result["nextToken"] = Base64Encode(page.items.back().key);
  return result;
}

Outcome DeleteRepository(Registry& r, const RequestContext&, object& in) {
  auto loaded = LoadRepository(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  RepositoryRecord& rec = std::get<RepositoryRecord>(loaded);
  std::string name = RepositoryName(in);
  ASSIGN_OR_FAIL(store::Page images, r.store().List(Registry::ImagePrefix(name), "", 1), EcrError);
  if (!images.items.empty() && !GetBool(in, "force").value_or(false)) {
    return AwsError::Client("RepositoryNotEmptyException",
                            "The repository with name '" + name + "' in registry with id '" +
                                r.options().account_id + "' cannot be deleted because it still contains images");
  }
  std::string key = Registry::RepositoryKey(name);
  ASSIGN_OR_FAIL(auto result,
                 r.store().Commit(store::Txn{{{key, rec.mod_revision}}, {store::Op::Delete(key)}}), EcrError);
  if (!result.succeeded) return AwsError::Server("ServerException", "The repository changed meanwhile; retry.");
  if (Status st = r.DropRepositoryContents(name); !st.ok()) return EcrError(st);
  return object{{"repository", rec.shape()}};
}

Outcome PutImageTagMutability(Registry& r, const RequestContext&, object& in) {
  if (auto err = CheckMutability(in)) return *err;
  return UpdateRepository(
      r, in,
      [&](object& record) {
        object& repository = record["repository"].as_object();
        repository["imageTagMutability"] = GetString(in, "imageTagMutability");
        repository.erase("imageTagMutabilityExclusionFilters");
        if (Has(in, "imageTagMutabilityExclusionFilters")) {
          repository["imageTagMutabilityExclusionFilters"] = in["imageTagMutabilityExclusionFilters"];
        }
        return std::optional<AwsError>();
      },
      [&](const object& record) {
        const object& repository = record.at("repository").as_object();
        object out{{"registryId", r.options().account_id},
                   {"repositoryName", RepositoryName(in)},
                   {"imageTagMutability", repository.at("imageTagMutability")}};
        if (auto* f = repository.if_contains("imageTagMutabilityExclusionFilters")) {
          out["imageTagMutabilityExclusionFilters"] = *f;
        }
        return out;
      });
}

Outcome PutImageScanningConfiguration(Registry& r, const RequestContext&, object& in) {
  bool scan = GetBool(GetObject(in, "imageScanningConfiguration"), "scanOnPush").value_or(false);
  return UpdateRepository(
      r, in,
      [&](object& record) {
        record["repository"].as_object()["imageScanningConfiguration"] = object{{"scanOnPush", scan}};
        return std::optional<AwsError>();
      },
      [&](const object&) {
        return object{{"registryId", r.options().account_id},
                      {"repositoryName", RepositoryName(in)},
                      {"imageScanningConfiguration", object{{"scanOnPush", scan}}}};
      });
}

Outcome SetRepositoryPolicy(Registry& r, const RequestContext&, object& in) {
  std::string text = GetString(in, "policyText");
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  // The policy is evaluated (api/authorize.h): it must be one the policy language reads.
  bool valid = !ec && doc.is_object() && doc.get_object().contains("Statement") &&
               iam::ParsePolicy(text, {iam::PolicyKind::kResource, false, true}).ok();
  if (!valid) {
    return InvalidParameter("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository "
                            "policy provided'");
  }
  return UpdateRepository(
      r, in,
      [&](object& record) {
        record["policyText"] = text;
        return std::optional<AwsError>();
      },
      [&](const object&) {
        return object{{"registryId", r.options().account_id}, {"repositoryName", RepositoryName(in)},
                      {"policyText", text}};
      });
}

Outcome GetRepositoryPolicy(Registry& r, const RequestContext&, object& in) {
  auto loaded = LoadRepository(r, in);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  std::string text = GetString(std::get<RepositoryRecord>(loaded).record, "policyText");
  if (text.empty()) {
    return AwsError::Client("RepositoryPolicyNotFoundException",
                            "Repository policy does not exist for the repository with name '" + RepositoryName(in) +
                                "' in the registry with id '" + r.options().account_id + "'");
  }
  return object{{"registryId", r.options().account_id}, {"repositoryName", RepositoryName(in)}, {"policyText", text}};
}

Outcome DeleteRepositoryPolicy(Registry& r, const RequestContext& ctx, object& in) {
  Outcome current = GetRepositoryPolicy(r, ctx, in);
  if (!current.ok()) return current;
  object answer = current.output();
  return UpdateRepository(
      r, in,
      [&](object& record) {
        record.erase("policyText");
        return std::optional<AwsError>();
      },
      [&](const object&) { return answer; });
}

Outcome TagResource(Registry& r, const RequestContext&, object& in) {
  const json::array& tags = GetArray(in, "tags");
  return WithRepositoryArn(r, in, [&](const object& by_name) {
    return UpdateRepository(
        r, by_name,
        [&](object& record) -> std::optional<AwsError> {
          if (!record["tags"].is_array()) record["tags"] = json::array();
          MergeByKey(record["tags"].as_array(), tags, "Key");
          return CheckTags(record["tags"].as_array());
        },
        [](const object&) { return object{}; });
  });
}

Outcome UntagResource(Registry& r, const RequestContext&, object& in) {
  const json::array& keys = GetArray(in, "tagKeys");
  return WithRepositoryArn(r, in, [&](const object& by_name) {
    return UpdateRepository(
        r, by_name,
        [&](object& record) {
          json::array kept;
          for (const auto& t : GetArray(record, "tags")) {
            bool drop = false;
            for (const auto& k : keys) drop = drop || k.get_string() == GetString(t.as_object(), "Key");
            if (!drop) kept.push_back(t);
          }
          record["tags"] = std::move(kept);
          return std::optional<AwsError>();
        },
        [](const object&) { return object{}; });
  });
}

Outcome ListTagsForResource(Registry& r, const RequestContext&, object& in) {
  return WithRepositoryArn(r, in, [&](const object& by_name) -> Outcome {
    auto loaded = LoadRepository(r, by_name);
    if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
    return object{{"tags", GetArray(std::get<RepositoryRecord>(loaded).record, "tags")}};
  });
}

}  // namespace wharf::api::ecr
