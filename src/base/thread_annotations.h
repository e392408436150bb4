// Clang thread-safety annotations; they compile to nothing under g++ but still
// document which mutex guards what.
#pragma once

#if defined(__clang__)
#define WHARF_TSA(x) __attribute__((x))
#else
#define WHARF_TSA(x)
#endif

#define GUARDED_BY(x) WHARF_TSA(guarded_by(x))
#define REQUIRES(...) WHARF_TSA(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) WHARF_TSA(locks_excluded(__VA_ARGS__))
