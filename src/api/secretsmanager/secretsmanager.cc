#include "api/secretsmanager/secretsmanager.h"

#include "api/secretsmanager/common.h"
#include "api/secretsmanager/handlers.h"

namespace wharf::api::secretsmanager {

Result<ServiceEndpoint> MakeSecretsManagerEndpoint(const SecretsDeps& deps) {
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("secretsmanager"));
  endpoint.validation_error = "InvalidParameterException";
  endpoint.to_error = SecretsError;
  using Fn = Outcome (*)(const SecretsDeps&, const RequestContext&, object&);
  const std::pair<const char*, Fn> operations[] = {
      {"CreateSecret", CreateSecret},
      {"DescribeSecret", DescribeSecret},
      {"ListSecrets", ListSecrets},
      {"UpdateSecret", UpdateSecret},
      {"DeleteSecret", DeleteSecret},
      {"RestoreSecret", RestoreSecret},
      {"GetSecretValue", GetSecretValue},
      {"PutSecretValue", PutSecretValue},
      {"BatchGetSecretValue", BatchGetSecretValue},
      {"UpdateSecretVersionStage", UpdateSecretVersionStage},
      {"ListSecretVersionIds", ListSecretVersionIds},
      {"PutResourcePolicy", PutResourcePolicy},
      {"GetResourcePolicy", GetResourcePolicy},
      {"DeleteResourcePolicy", DeleteResourcePolicy},
      {"ValidateResourcePolicy", ValidateResourcePolicy},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"GetRandomPassword", GetRandomPassword},
  };
  const SecretsDeps* d = &deps;
  for (const auto& [name, fn] : operations) {
    if (!endpoint.model->FindOperation(name)) {
      return Status::Internal(std::string("Secrets Manager model has no ") + name);
    }
    endpoint.operations[name] = [d, fn = fn](const RequestContext& ctx, object& in) { return fn(*d, ctx, in); };
  }
  // A secret's resource policy (PutResourcePolicy) is weighed with the caller's own policies:
  // it may grant a principal that has no policy of its own, and its Deny refuses even one that
  // has. Requests naming the secret by name reach it too (LoadSecret takes the ARN without its
  // random suffix that the authorization table makes of a name).
  endpoint.resource_policy = [d](std::string_view arn) -> std::string {
    if (arn.find(":secret:") == std::string_view::npos) return "";
    auto loaded = LoadSecret(*d, std::string(arn));
    auto* stored = std::get_if<StoredSecret>(&loaded);
    return stored ? stored->secret.resource_policy : "";
  };
  // aws:ResourceTag/<key>, which Secrets Manager also names secretsmanager:ResourceTag/<key>.
  endpoint.resource_tags = [d](std::string_view arn) -> ResourceTags {
    if (arn.find(":secret:") == std::string_view::npos) return {};
    auto loaded = LoadSecret(*d, std::string(arn));
    auto* stored = std::get_if<StoredSecret>(&loaded);
    return stored ? TagPairs(stored->secret.tags, "Key", "Value") : ResourceTags();
  };
  endpoint.service_resource_tag_key = "secretsmanager:ResourceTag/";
  // Rotation runs a Lambda function and replication needs a second Region's copy: refused.
  for (const char* name : {"RotateSecret", "CancelRotateSecret"}) {
    endpoint.operations[name] = [name](const RequestContext&, object&) -> Outcome {
      return AwsError::Client("InvalidRequestException",
                              std::string("wharf does not rotate secrets (rotation runs a Lambda function, which "
                                          "wharf does not have): ") + name + " is not supported.");
    };
  }
  for (const char* name : {"ReplicateSecretToRegions", "RemoveRegionsFromReplication", "StopReplicationToReplica"}) {
    endpoint.operations[name] = [name](const RequestContext&, object&) -> Outcome {
      return AwsError::Client("InvalidRequestException",
                              std::string("wharf does not replicate secrets: ") + name + " is not supported.");
    };
  }
  return endpoint;
}

}  // namespace wharf::api::secretsmanager
