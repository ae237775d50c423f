#ifndef WARMUP_LIB_IO_PROVENANCE_H_
#define WARMUP_LIB_IO_PROVENANCE_H_

#include <string>

#include "proto/result.pb.h"

namespace warmup {

// Fills what every Result records about where it came from: the git commit
// of the workspace (when `workspace_dir` is a git checkout), the spec's path
// and SHA-256, the library versions compiled in, the thread count, the CPU
// model and the start time. The end time is set by MarkEnd.
void FillProvenance(const std::string& spec_path, const std::string& spec_text,
                    const std::string& workspace_dir, int threads,
                    spec::Provenance* provenance);

// Records the end time.
void MarkEnd(spec::Provenance* provenance);

// The CPU model from /proc/cpuinfo, or "unknown".
std::string CpuModel();

}  // namespace warmup

#endif  // WARMUP_LIB_IO_PROVENANCE_H_
