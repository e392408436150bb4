// The Secrets Manager API (JSON 1.1, secretsmanager), one region's: secrets and their
// versions with staging labels, deletion with a recovery window, resource policies (stored,
// checked by the policy language; not yet evaluated), tags, random passwords. Rotation and
// replication are refused: wharf has no Lambda and serves one region per secret.
//
// Values are never stored in the clear: each version's value is sealed by the region's KMS
// (api/kms/kms.h, in process) under the secret's key (default alias/aws/secretsmanager, made
// on first use) with the encryption context {SecretARN, SecretVersionId}. Nothing here logs a
// value.
//
// Thread-safety: handlers may run on any thread; a secret and its versions are one record,
// changed by revision-checked writes.
#pragma once

#include <string>

#include "api/front_door.h"
#include "api/kms/kms.h"
#include "base/clock.h"
#include "base/random.h"
#include "store/store.h"

namespace wharf::api::secretsmanager {

struct SecretsDeps {
  store::Store& store;
  Clock& clock;
  Random& random;  // ARN suffixes, version ids, passwords: a SecureRandom
  std::string region;
  std::string account_id;
  const kms::KmsDeps& kms;
};

Result<ServiceEndpoint> MakeSecretsManagerEndpoint(const SecretsDeps& deps);

}  // namespace wharf::api::secretsmanager
