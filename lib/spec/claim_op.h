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

// The claim's kind as written on claim lines and in the report:
// "scientific", "regression" or "sanity" ("?" for an unknown value).
inline const char* ClaimKindName(spec::Claim::Kind kind) {
  switch (kind) {
    case spec::Claim::SCIENTIFIC: return "scientific";
    case spec::Claim::REGRESSION: return "regression";
    case spec::Claim::SANITY: return "sanity";
    default: return "?";
  }
}

}  // namespace warmup

#endif  // WARMUP_LIB_SPEC_CLAIM_OP_H_
