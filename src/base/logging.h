// Structured log lines on stderr: `ts level component msg key=value ...`.
#pragma once

#include <spdlog/spdlog.h>

namespace wharf {

// Sets the process-wide format and level ("debug", "info", "warn", "error").
void InitLogging(const std::string& level);

}  // namespace wharf

#define LOG_DEBUG(...) SPDLOG_DEBUG(__VA_ARGS__)
#define LOG_INFO(...) SPDLOG_INFO(__VA_ARGS__)
#define LOG_WARN(...) SPDLOG_WARN(__VA_ARGS__)
#define LOG_ERROR(...) SPDLOG_ERROR(__VA_ARGS__)
