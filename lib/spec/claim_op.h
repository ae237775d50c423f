#ifndef WARMUP_LIB_SPEC_CLAIM_OP_H_
#define WARMUP_LIB_SPEC_CLAIM_OP_H_

#include "proto/experiment.pb.h"

namespace warmup {

// The comparison a claim makes, as written in verdicts and the report:
// "<=", "<", ">=", ">" or "==" ("?" for an unknown value).
inline const char* ClaimOpSymbol(spec::Claim::Op op) {
  switch (op) {
    case spec::Claim::LE: return "<=";
    case spec::Claim::LT: return "<";
    case spec::Claim::GE: return ">=";
    case spec::Claim::GT: return ">";
    case spec::Claim::EQ: return "==";
    default: return "?";
  }
}

}  // namespace warmup

#endif  // WARMUP_LIB_SPEC_CLAIM_OP_H_
