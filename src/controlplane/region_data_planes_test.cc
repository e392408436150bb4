// Two regions applying to one data plane: each Apply replaces only its region's part.
#include "controlplane/region_data_planes.h"

#include <gtest/gtest.h>

namespace wharf::controlplane {
namespace {

class RecordingDataPlane final : public lb::DataPlaneControl {
 public:
  Status OpenListener(const std::string&, uint16_t) override { return Status::OK(); }
  void CloseListener(const std::string&) override {}
  void Apply(std::shared_ptr<const lb::Config> config) override { applied = std::move(config); }
  std::vector<lb::TargetHealth> Health(const std::string&) const override { return {}; }

  std::shared_ptr<const lb::Config> applied;
};

std::shared_ptr<const lb::Config> OneListener(const std::string& arn, uint16_t port) {
  auto config = std::make_shared<lb::Config>();
  lb::Listener listener;
  listener.arn = arn;
  listener.port = port;
  config->listeners.push_back(listener);
  config->target_groups[arn + "/tg"] = lb::TargetGroup{};
  return config;
}

std::vector<uint16_t> Ports(const lb::Config& config) {
  std::vector<uint16_t> ports;
  for (const auto& l : config.listeners) ports.push_back(l.port);
  return ports;
}

TEST(RegionDataPlanesTest, EachRegionReplacesOnlyItsOwnPart) {
  RecordingDataPlane plane;
  RegionDataPlanes planes(plane);
  auto home = planes.ForRegion("us-east-1");
  auto eu = planes.ForRegion("eu-west-1");

  home->Apply(OneListener("arn:aws:elasticloadbalancing:us-east-1:0:listener/a", 8001));
  EXPECT_EQ(Ports(*plane.applied), std::vector<uint16_t>{8001});
  eu->Apply(OneListener("arn:aws:elasticloadbalancing:eu-west-1:0:listener/b", 8002));
  EXPECT_EQ(Ports(*plane.applied), (std::vector<uint16_t>{8002, 8001}));  // by region name
  EXPECT_EQ(plane.applied->target_groups.size(), 2u);

  home->Apply(std::make_shared<lb::Config>());  // us-east-1 deleted its load balancer
  EXPECT_EQ(Ports(*plane.applied), std::vector<uint16_t>{8002});
  EXPECT_EQ(plane.applied->target_groups.size(), 1u);
}

}  // namespace
}  // namespace wharf::controlplane
