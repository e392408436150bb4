#include "base/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace wharf {

void InitLogging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("wharf");
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace wharf
