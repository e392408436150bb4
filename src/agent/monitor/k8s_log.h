// The CRI "k8s-file" log format, as conmon writes it (and log_shipper.cc reads it).
//
// Every read of up to kReadSize bytes from a container's stdout or stderr becomes one or more
// records, all stamped with the time of that read:
//   <RFC3339Nano local time with offset> stdout|stderr F <line>\n     a whole line
//   <RFC3339Nano local time with offset> stdout|stderr P <text>\n     the read ended mid-line
// A line longer than a read, or written in pieces, is so split into P records closed by an F
// one, which is what readers join. Pure: no I/O, so it is unit tested beside its reader.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace wharf::monitor {

// conmon's STDIO_BUF_SIZE: the most one read takes from a pipe, so the longest P record.
inline constexpr size_t kReadSize = 8192;

// "2026-12-07T12:21:13.123456789+00:00" for `when` in the local time zone (TZ, /etc/localtime).
std::string K8sTimestamp(const timespec& when);

// Appends to `out` the records of one read, `data`, from `stream` ("stdout" or "stderr").
void AppendK8sRecords(std::string_view timestamp, std::string_view stream, std::string_view data,
                      std::string* out);

}  // namespace wharf::monitor
