#include "api/sts.h"

namespace wharf::api {

Result<ServiceEndpoint> MakeStsEndpoint() {
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("sts"));
  endpoint.validation_error = "ValidationError";
  endpoint.to_error = [](const Status& s) {
    return AwsError::Server("InternalFailure", s.message());
  };
  endpoint.operations["GetCallerIdentity"] = [](const RequestContext& ctx, boost::json::object&) {
    return Outcome(boost::json::object{{"UserId", ctx.principal_id.empty() ? ctx.access_key_id : ctx.principal_id},
                                       {"Account", ctx.account_id},
                                       {"Arn", ctx.principal_arn}});
  };
  return endpoint;
}

}  // namespace wharf::api
