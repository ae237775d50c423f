#ifndef WARMUP_LIB_TRAINER_TRACE_RECORD_H_
#define WARMUP_LIB_TRAINER_TRACE_RECORD_H_

#include "lib/trainer/trainer.h"
#include "proto/trace.pb.h"

namespace warmup {

// A TrainTrace as a message (proto/trace.proto) and back, exactly: every
// field, doubles bit for bit.
spec::TrainTraceRecord TraceRecord(const TrainTrace& trace);
TrainTrace TraceFromRecord(const spec::TrainTraceRecord& record);

}  // namespace warmup

#endif  // WARMUP_LIB_TRAINER_TRACE_RECORD_H_
