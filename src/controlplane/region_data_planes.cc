#include "controlplane/region_data_planes.h"

namespace wharf::controlplane {

class RegionDataPlanes::View final : public lb::DataPlaneControl {
 public:
  View(RegionDataPlanes& planes, std::string region) : planes_(planes), region_(std::move(region)) {}

  Status OpenListener(const std::string& listener_arn, uint16_t port) override {
    return planes_.data_plane_.OpenListener(listener_arn, port);
  }
  void CloseListener(const std::string& listener_arn) override { planes_.data_plane_.CloseListener(listener_arn); }
  void Apply(std::shared_ptr<const lb::Config> config) override { planes_.Apply(region_, std::move(config)); }
  std::vector<lb::TargetHealth> Health(const std::string& target_group_arn) const override {
    return planes_.data_plane_.Health(target_group_arn);
  }

 private:
  RegionDataPlanes& planes_;
  const std::string region_;
};

std::unique_ptr<lb::DataPlaneControl> RegionDataPlanes::ForRegion(std::string region) {
  return std::make_unique<View>(*this, std::move(region));
}

void RegionDataPlanes::Apply(const std::string& region, std::shared_ptr<const lb::Config> config) {
  MutexLock lock(mu_);
  configs_[region] = std::move(config);
  if (configs_.size() == 1) return data_plane_.Apply(configs_.begin()->second);
  auto merged = std::make_shared<lb::Config>();
  for (const auto& [name, part] : configs_) {
    if (!part) continue;
    merged->listeners.insert(merged->listeners.end(), part->listeners.begin(), part->listeners.end());
    merged->target_groups.insert(part->target_groups.begin(), part->target_groups.end());
  }
  data_plane_.Apply(std::move(merged));
}

}  // namespace wharf::controlplane
