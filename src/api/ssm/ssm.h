// SSM Parameter Store (JSON 1.1, AmazonSSM), one region's: String, StringList and SecureString
// parameters with their history, labels, tiers, AllowedPattern, DataType, paths, tags. The
// rest of SSM is refused with UnknownOperationException saying so.
//
// A SecureString's value is sealed by the region's KMS (api/kms/kms.h, in process) under the
// parameter's key (default alias/aws/ssm, made on first use) with the encryption context
// {"PARAMETER_ARN": arn}; no SecureString value is stored in the clear.
//
// Thread-safety: handlers may run on any thread; a parameter and its history are one record,
// changed by revision-checked writes.
#pragma once

#include <string>

#include "api/front_door.h"
#include "api/kms/kms.h"
#include "base/clock.h"
#include "store/store.h"

namespace wharf::api::ssm {

struct SsmDeps {
  store::Store& store;
  Clock& clock;
  std::string region;
  std::string account_id;
  const kms::KmsDeps& kms;
};

Result<ServiceEndpoint> MakeSsmEndpoint(const SsmDeps& deps);

}  // namespace wharf::api::ssm
