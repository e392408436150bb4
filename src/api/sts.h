// STS (Query protocol, global): GetCallerIdentity for every kind of caller, AssumeRole and
// GetSessionToken, which hand out temporary credentials (ASIA... keys with a session token
// and an expiration; CredentialStore reads them back, the front door checks the token).
//
// AssumeRole decides for itself, as AWS does: the role's trust policy must allow
// sts:AssumeRole (and sts:TagSession when tags are passed, sts:SetSourceIdentity with a
// SourceIdentity) for the caller, and, unless the trust policy names the caller itself, the
// caller's own policies must allow it too (iam/evaluate.h). The account root cannot assume
// roles. A chained session (a role session assuming a role) lasts at most an hour.
// GetSessionToken needs no permission; it gives the user's (or root's) own permissions for
// up to 36 hours (root: one hour).
//
// Not here: GetFederationToken, AssumeRoleWithSAML/WebIdentity, DecodeAuthorizationMessage,
// GetAccessKeyInfo (InvalidAction); MFA (SerialNumber/TokenCode are refused: there are no
// MFA devices).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/front_door.h"
#include "controlplane/authorizer.h"
#include "base/clock.h"
#include "base/random.h"
#include "store/store.h"

namespace wharf::api {

struct StsDeps {
  store::Store& store;  // the base store: sessions live under iam/, shared by all regions
  Clock& clock;
  Random& random;
  std::string account_id;
  controlplane::Authorizer* authorizer = nullptr;  // the caller's policies; null: trust policy only
};

Result<ServiceEndpoint> MakeStsEndpoint(const StsDeps& deps);

// Temporary credentials of a role for an AWS service principal, as ECS gets them for a task's
// role and execution role ("ecs-tasks.amazonaws.com", session name the task id): the role's
// trust policy must allow the service sts:AssumeRole. The session signs as
// arn:aws:sts::<account>:assumed-role/<role>/<session name> until `expiration`.
struct ServiceSession {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::chrono::system_clock::time_point expiration;
};
// FailedPrecondition with ECS's words when the service may not assume the role (or there
// is no such role): "ECS was unable to assume the role '<arn>' that was provided for this task. ..."
Status CheckServiceMayAssume(store::Store& store, std::string_view account_id, std::string_view role_arn,
                             std::string_view service);
// What a service does as a role it assumes on its own account (ECS with a blue/green
// deployment's advancedConfiguration.roleArn, as ecs.amazonaws.com, session
// ECSNetworkingWithELB, changing listener rules): FailedPrecondition with the reason when the
// role is gone or does not trust `service` ("<service> was unable to assume the role ..."), or
// when its policies do not allow one of `actions` ({action, resource}; IAM's AccessDenied
// words for the session). Without an authorizer only the trust is judged.
Status CheckServiceMayActAs(store::Store& store, controlplane::Authorizer* authorizer, std::string_view account_id,
                            std::string_view region, std::string_view role_arn, std::string_view service,
                            std::string_view session_name,
                            const std::vector<std::pair<std::string, std::string>>& actions);
// Removes the records of sessions that expired more than `grace` ago: they sign nothing any
// more, and ECS makes a session for every task with a role. The server's maintenance runs
// it on the leader. Returns how many went.
Result<int> DeleteExpiredSessions(store::Store& store, Clock& clock, std::chrono::seconds grace);

// Temporary credentials of an IAM user, as GetSessionToken gives that user (the user's own
// permissions, narrowed by `session_policy` when there is one; the session signs as the
// user): the console's password sign-in (api/signin.h) hands these to the browser.
Result<ServiceSession> SessionForUser(const StsDeps& deps, std::string_view user_name, std::string_view user_id,
                                      std::string_view user_arn, std::chrono::seconds duration,
                                      std::string_view session_policy = "");

Result<ServiceSession> AssumeRoleForService(const StsDeps& deps, std::string_view role_arn,
                                            std::string_view service, std::string_view session_name,
                                            std::chrono::seconds duration);

}  // namespace wharf::api
