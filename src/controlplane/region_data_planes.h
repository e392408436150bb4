// RegionDataPlanes: one load balancer data plane shared by every region's publisher.
//
// Each region keeps its own ELBv2 records and its own LoadBalancerPublisher, which applies
// that region's whole configuration. The data plane takes one configuration, so each region
// is given a view whose Apply replaces only its region's part and applies the union: ARNs
// name their region, so the parts never collide, and listener ports are claimed in a key
// all regions share (model/keys.h), so two regions never hold the same port.
//
// Thread-safety: the views may be used from any thread; Applies are serialised here.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/mutex.h"
#include "lb/config.h"

namespace wharf::controlplane {

class RegionDataPlanes {
 public:
  explicit RegionDataPlanes(lb::DataPlaneControl& data_plane) : data_plane_(data_plane) {}

  // The data plane as `region` sees it. Outlived by this object.
  std::unique_ptr<lb::DataPlaneControl> ForRegion(std::string region);

 private:
  class View;
  void Apply(const std::string& region, std::shared_ptr<const lb::Config> config) EXCLUDES(mu_);

  lb::DataPlaneControl& data_plane_;
  Mutex mu_;
  std::map<std::string, std::shared_ptr<const lb::Config>> configs_ GUARDED_BY(mu_);  // by region
};

}  // namespace wharf::controlplane
