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

#include <string>

#include "api/front_door.h"
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

}  // namespace wharf::api
