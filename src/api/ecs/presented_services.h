// PresentedServices: DescribeServices' Service shape of each service record, made once per
// version of the record.
//
// Why: parsing a service record (2.8 KB for a new service, far more with its events) and
// presenting it was most of DescribeServices' cost, and services are described far more
// often than they change (consoles and CI poll them). A record is read from the store on
// every request as before; only when its mod_revision is the one presented last is the parse
// skipped. A record changes only by a commit, which gives it a new mod_revision, so an entry
// is never stale: nothing needs to invalidate it.
//
// Bounded: the kept records' sizes add up to at most `max_bytes`; past that everything is
// dropped and presented again as asked.
//
// Thread-safety: all methods may be called from any thread; what Of returns is immutable.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/mutex.h"
#include "base/status.h"
#include "store/store.h"

namespace wharf::api::ecs {

class PresentedServices {
 public:
  explicit PresentedServices(size_t max_bytes = 2 << 20) : max_bytes_(max_bytes) {}

  // The service record `kv` as DescribeServices shows it with include=TAGS
  // (model::PresentService), parsed only when this version of the record was not seen last.
  // Internal when the record is not a JSON object.
  Result<std::shared_ptr<const boost::json::object>> Of(const store::KeyValue& kv) EXCLUDES(mu_);

 private:
  struct Entry {
    int64_t mod_revision;
    size_t bytes;
    std::shared_ptr<const boost::json::object> service;
  };

  const size_t max_bytes_;

  Mutex mu_;
  std::unordered_map<std::string, Entry> by_key_ GUARDED_BY(mu_);
  size_t bytes_ GUARDED_BY(mu_) = 0;
};

}  // namespace wharf::api::ecs
