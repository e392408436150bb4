// IAM (Query protocol, 2010-05-08), a global service: requests are signed for us-east-1
// whatever the server's region. Users, groups, roles, customer and AWS managed policies with
// versions, attachments, inline policies, access keys, login profiles, instance profiles,
// service-linked roles and the account-wide reads (handlers.h lists the operations; docs/API.md
// what is left out). Errors are IAM's codes and messages: NoSuchEntity (404),
// EntityAlreadyExists, DeleteConflict, LimitExceeded (409), MalformedPolicyDocument,
// InvalidInput, ValidationError (400).
//
// State is model/iam.h's records (docs/STATE.md). Access keys are the CredentialStore's
// records too: a key this service makes signs as its user at once, and UpdateAccessKey and
// DeleteAccessKey tell the CredentialStore to forget what it cached.
//
// Authorization is the front door's (controlplane/authorizer.h reads these records); a
// change here tells the authorizer so that the next request sees it.
//
// Thread-safety: handlers may run on many threads at once; every change is one
// revision-checked transaction over the records it read, retried on conflict.
#pragma once

#include <string>

#include "api/credentials.h"
#include "api/front_door.h"
#include "base/clock.h"
#include "base/random.h"
#include "model/password_policy.h"
#include "store/store.h"

namespace wharf::api::iam {

struct IamDeps {
  store::Store& store;
  Clock& clock;
  Random& random;             // ids and secrets
  std::string account_id;
  CredentialStore* credentials = nullptr;  // told of key changes; may be null in tests
  // Told of every change, so the next request is authorized by the new policies; may be null.
  controlplane::Authorizer* authorizer = nullptr;
};

Result<ServiceEndpoint> MakeIamEndpoint(const IamDeps& deps);

// What the console's sign-in (api/signin.h) reads of the account: its password policy (IAM's
// default when it has none), its alias ("" when none), and whether a login profile's password
// is older than the policy's MaxPasswordAge at `now` (epoch seconds).
Result<model::PasswordPolicy> AccountPasswordPolicy(store::Store& store);
Result<std::string> AccountAlias(store::Store& store);
bool PasswordExpired(const model::PasswordPolicy& policy, const boost::json::object& profile, double now);

}  // namespace wharf::api::iam
