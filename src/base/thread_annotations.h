// Clang thread-safety annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html).
// They compile to nothing under g++; the `thread_safety` test in `make test` compiles every
// translation unit with clang++ -Wthread-safety -Werror, so they are checked, not comments.
// The capability they name is base/mutex.h's Mutex (std::mutex is not one).
#pragma once

#if defined(__clang__)
#define WHARF_TSA(x) __attribute__((x))
#else
#define WHARF_TSA(x)
#endif

// On a class: it is a capability (a lock) / a scoped holder of one.
#define CAPABILITY(x) WHARF_TSA(capability(x))
#define SCOPED_CAPABILITY WHARF_TSA(scoped_lockable)

// On a field: read and written only with the capability held.
#define GUARDED_BY(x) WHARF_TSA(guarded_by(x))
// On a pointer field: what it points to is read and written only with the capability held.
#define PT_GUARDED_BY(x) WHARF_TSA(pt_guarded_by(x))
// On a mutex field: the order in which locks are taken.
#define ACQUIRED_BEFORE(...) WHARF_TSA(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) WHARF_TSA(acquired_after(__VA_ARGS__))

// On a function: the caller holds the capability (exclusively / shared) ...
#define REQUIRES(...) WHARF_TSA(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) WHARF_TSA(requires_shared_capability(__VA_ARGS__))
// ... or must not hold it (the function takes it).
#define EXCLUDES(...) WHARF_TSA(locks_excluded(__VA_ARGS__))
// The function takes / releases the capability and returns with it held / released.
#define ACQUIRE(...) WHARF_TSA(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) WHARF_TSA(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) WHARF_TSA(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) WHARF_TSA(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) WHARF_TSA(release_generic_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) WHARF_TSA(try_acquire_capability(__VA_ARGS__))
// Checks at run time (or promises) that the capability is held from here on.
#define ASSERT_CAPABILITY(x) WHARF_TSA(assert_capability(x))
#define ASSERT_SHARED_CAPABILITY(x) WHARF_TSA(assert_shared_capability(x))
// The function returns a reference to the capability.
#define RETURN_CAPABILITY(x) WHARF_TSA(lock_returned(x))
// Turns the analysis off for one function: say why beside each use.
#define NO_THREAD_SAFETY_ANALYSIS WHARF_TSA(no_thread_safety_analysis)
