#!/usr/bin/python3
"""Checks the lock annotations: every translation unit of ours is compiled with clang++
-fsyntax-only -Wthread-safety -Werror, with the include paths and definitions the real build
uses (from CMake's compile_commands.json). g++ ignores the annotations; clang proves that each
field GUARDED_BY(mu_) is touched only with mu_ held and each REQUIRES(mu_) method is called
with it (src/base/mutex.h, STYLE.md 4 and 14).

No objects are written and nothing is linked, so it costs one parse per file, and only the
files that can hold an annotation are parsed: those that include base/thread_annotations.h,
directly or through our headers (found by reading their #include "..." lines).

usage: check-thread-safety.py COMPILE_COMMANDS SOURCE_DIR [--jobs N] [--compiler CLANG++] [FILE...]
FILEs (paths under SOURCE_DIR) limit the check to those translation units.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

# Our code, not what the build generates or the benchmarks' peers.
CHECKED_DIRS = ("src/", "cmd/", "tests/")

# The header every annotation comes from (base/mutex.h includes it).
ANNOTATIONS = "src/base/thread_annotations.h"

# The clang flags that make the check. Only clang's defaults and -Wthread-safety are on; the
# project's g++ warning set is dropped (clang's -Wall differs, and that is not what this test
# is about), and so are warnings about g++-only names in `#pragma GCC diagnostic`. System
# headers (Boost, spdlog, GoogleTest) stay silent, as clang keeps them.
CHECK_FLAGS = ["-fsyntax-only", "-Wthread-safety", "-Werror", "-Wno-unknown-warning-option"]

QUOTED_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def find_compiler(requested):
    for name in [requested] if requested else ["clang++-14", "clang++"]:
        path = shutil.which(name)
        if path:
            return path
    sys.exit("check-thread-safety: no clang++ on PATH (scripts/install-deps.sh installs clang)")


def clang_command(entry, compiler):
    """The entry's g++ command turned into a clang syntax check."""
    argv = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    out = [compiler]
    skip = False
    for arg in argv[1:]:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        warning = arg.startswith("-W") and not arg.startswith(("-Wp,", "-Wa,", "-Wl,"))
        if arg in ("-c", "-MD", "-MMD") or warning or arg == entry["file"]:
            continue
        out.append(arg)
    return out + CHECK_FLAGS + [entry["path"]]


class IncludeGraph:
    """Which of our files reach a header through our own #include "..." lines (searched beside
    the file, then under src/ and the source root, as the build's -I flags do)."""

    def __init__(self, source_dir):
        self.roots = [os.path.join(source_dir, "src"), source_dir]
        self.memo = {}

    def includes(self, path):
        try:
            with open(path, errors="replace") as f:
                names = QUOTED_INCLUDE.findall(f.read())
        except OSError:
            return []
        found = []
        for name in names:
            for base in [os.path.dirname(path)] + self.roots:
                candidate = os.path.realpath(os.path.join(base, name))
                if os.path.isfile(candidate):
                    found.append(candidate)
                    break
        return found

    def reaches(self, path, target):
        if path in self.memo:
            return self.memo[path]
        self.memo[path] = False  # an include cycle adds nothing
        hit = path == target or any(self.reaches(p, target) for p in self.includes(path))
        self.memo[path] = hit
        return hit


def check(entry, compiler):
    started = time.monotonic()
    p = subprocess.run(clang_command(entry, compiler), cwd=entry["directory"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return entry["path"], p.returncode, p.stdout, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("compile_commands")
    parser.add_argument("source_dir")
    parser.add_argument("files", nargs="*")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--compiler")
    args = parser.parse_args()

    compiler = find_compiler(args.compiler)
    source_dir = os.path.realpath(args.source_dir) + "/"
    try:
        with open(args.compile_commands) as f:
            entries = json.load(f)
    except OSError as e:
        sys.exit(f"check-thread-safety: {e} (configure with CMAKE_EXPORT_COMPILE_COMMANDS=ON)")

    wanted = {os.path.realpath(os.path.join(source_dir, f)) for f in args.files}
    graph = IncludeGraph(source_dir)
    annotations = os.path.realpath(os.path.join(source_dir, ANNOTATIONS))
    if not os.path.isfile(annotations):
        sys.exit(f"check-thread-safety: {ANNOTATIONS} is missing")
    units = {}
    skipped = 0
    for entry in entries:
        path = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
        relative = path[len(source_dir):] if path.startswith(source_dir) else None
        if relative is None or not relative.startswith(CHECKED_DIRS):
            continue
        if wanted and path not in wanted:
            continue
        if not graph.reaches(path, annotations):
            skipped += 1  # no lock annotation can be in it
            continue
        units.setdefault(path, dict(entry, path=path))  # a file built twice is checked once
    if not units:
        sys.exit("check-thread-safety: no translation unit to check")

    started = time.monotonic()
    failed = []
    slowest = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        jobs = [pool.submit(check, e, compiler) for e in sorted(units.values(), key=lambda e: e["path"])]
        for job in concurrent.futures.as_completed(jobs):
            path, code, output, seconds = job.result()
            slowest.append((seconds, path[len(source_dir):]))
            if code != 0:
                failed.append(path)
                sys.stdout.write(output)
                sys.stdout.flush()
    slowest.sort(reverse=True)
    print(f"check-thread-safety: {len(units)} translation units ({skipped} without annotations skipped) "
          f"with {os.path.basename(compiler)} "
          f"(-Wthread-safety -Werror), {args.jobs} jobs, {time.monotonic() - started:.0f} s; "
          f"slowest: " + ", ".join(f"{p} {s:.1f} s" for s, p in slowest[:3]))
    if failed:
        print(f"check-thread-safety: FAILED in {len(failed)} file(s):")
        for path in sorted(failed):
            print("  " + path[len(source_dir):])
        return 1
    print("check-thread-safety: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
