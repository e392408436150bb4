#include "api/ecs/presented_services.h"

#include "model/json.h"
#include "model/service.h"

namespace wharf::api::ecs {

Result<std::shared_ptr<const boost::json::object>> PresentedServices::Of(const store::KeyValue& kv) {
  {
    MutexLock lock(mu_);
    auto it = by_key_.find(kv.key);
    if (it != by_key_.end() && it->second.mod_revision == kv.mod_revision) return it->second.service;
  }
  ASSIGN_OR_RETURN(boost::json::object record, ParseObject(kv.value));
  auto service = std::make_shared<const boost::json::object>(model::PresentService(std::move(record), true));
  MutexLock lock(mu_);
  auto it = by_key_.find(kv.key);
  if (it != by_key_.end()) {
    // Another request may have presented a newer version meanwhile: the newest stays.
    if (it->second.mod_revision > kv.mod_revision) return service;
    bytes_ -= it->second.bytes;
    by_key_.erase(it);
  }
  if (bytes_ + kv.value.size() > max_bytes_) {
    by_key_.clear();
    bytes_ = 0;
  }
  if (kv.value.size() <= max_bytes_) {
    by_key_.emplace(kv.key, Entry{kv.mod_revision, kv.value.size(), service});
    bytes_ += kv.value.size();
  }
  return service;
}

}  // namespace wharf::api::ecs
