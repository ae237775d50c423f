#ifndef WARMUP_LIB_IO_PROVENANCE_H_
#define WARMUP_LIB_IO_PROVENANCE_H_

#include <string>
#include <vector>

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

// `prefix` followed by `args` as the command a user types, with the value of
// every flag that names a file or folder (--out, --data_dir, ...)
// shown as <path>: provenance is stored in tracked references, which must
// not carry one machine's paths.
std::string PortableCommandLine(const std::string& prefix,
                                const std::vector<std::string>& args);

}  // namespace warmup

#endif  // WARMUP_LIB_IO_PROVENANCE_H_
