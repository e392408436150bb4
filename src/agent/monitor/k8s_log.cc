#include "agent/monitor/k8s_log.h"

#include <cstdio>

namespace wharf::monitor {

std::string K8sTimestamp(const timespec& when) {
  tm local{};
  localtime_r(&when.tv_sec, &local);
  char sign = '+';
  long offset = local.tm_gmtoff;
  if (offset < 0) {
    sign = '-';
    offset = -offset;
  }
  char buf[128];  // far more than the 35 characters, so that no field can be cut
  snprintf(buf, sizeof buf, "%d-%02d-%02dT%02d:%02d:%02d.%09ld%c%02ld:%02ld", local.tm_year + 1900,
           local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec, when.tv_nsec,
           sign, offset / 3600, (offset % 3600) / 60);
  return buf;
}

void AppendK8sRecords(std::string_view timestamp, std::string_view stream, std::string_view data,
                      std::string* out) {
  while (!data.empty()) {
    const size_t end = data.find('\n');
    const bool partial = end == std::string_view::npos;
    const size_t len = partial ? data.size() : end + 1;
    out->append(timestamp).append(" ").append(stream).append(partial ? " P " : " F ");
    out->append(data.substr(0, len));
    if (partial) out->push_back('\n');
    data.remove_prefix(len);
  }
}

}  // namespace wharf::monitor
