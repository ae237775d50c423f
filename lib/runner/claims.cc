#include "lib/runner/claims.h"

#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace warmup {
namespace {

const char* OpName(spec::Claim::Op op) {
  switch (op) {
    case spec::Claim::LE: return "<=";
    case spec::Claim::LT: return "<";
    case spec::Claim::GE: return ">=";
    case spec::Claim::GT: return ">";
    case spec::Claim::EQ: return "==";
    default: return "?";
  }
}

bool Holds(spec::Claim::Op op, double v, double t, double tol) {
  if (std::isnan(v)) return false;
  switch (op) {
    case spec::Claim::LE: return v <= t;
    case spec::Claim::LT: return v < t;
    case spec::Claim::GE: return v >= t;
    case spec::Claim::GT: return v > t;
    case spec::Claim::EQ: return std::abs(v - t) <= tol;
    default: return false;
  }
}

}  // namespace

absl::Status EvaluateClaims(const spec::Experiment& experiment,
                            const std::string& tier, spec::Result* result) {
  std::map<std::string, double> scalars;
  for (const spec::Scalar& s : result->scalars()) scalars[s.name()] = s.value();
  auto lookup = [&](const std::string& name, double* value) -> absl::Status {
    auto it = scalars.find(name);
    if (it != scalars.end()) {
      *value = it->second;
      return absl::OkStatus();
    }
    std::vector<std::string> known;
    for (const auto& [k, v] : scalars) known.push_back(k);
    return absl::InvalidArgumentError(absl::StrFormat(
        "claim metric '%s' is not a scalar of this run; known: %s", name,
        absl::StrJoin(known, ", ")));
  };
  for (const spec::Claim& c : experiment.claims()) {
    if (!c.tiers().empty() &&
        std::find(c.tiers().begin(), c.tiers().end(), tier) == c.tiers().end()) {
      continue;
    }
    double value = 0.0;
    if (absl::Status st = lookup(c.metric(), &value); !st.ok()) return st;
    if (!c.divided_by().empty()) {
      double den = 0.0;
      if (absl::Status st = lookup(c.divided_by(), &den); !st.ok()) return st;
      value = value / den;
    }
    if (!c.minus().empty()) {
      double sub = 0.0;
      if (absl::Status st = lookup(c.minus(), &sub); !st.ok()) return st;
      value = value - sub;
    }
    spec::ClaimVerdict* v = result->add_claims();
    v->set_id(c.id());
    v->set_value(value);
    v->set_op(OpName(c.op()));
    v->set_threshold(c.threshold());
    v->set_tolerance(c.tolerance());
    v->set_pass(Holds(c.op(), value, c.threshold(), c.tolerance()));
    v->set_rationale(c.rationale());
    // A tuned baseline whose winner sits on its grid's edge is no optimum.
    for (const std::string& operand : {c.metric(), c.divided_by(), c.minus()}) {
      const auto dot = operand.find('.');
      if (dot == std::string::npos) continue;
      const auto edge = scalars.find(operand.substr(0, dot) + ".at_grid_edge");
      if (edge != scalars.end() && edge->second != 0.0) {
        v->set_pass(false);
        v->set_failure(absl::StrFormat(
            "tuned baseline '%s' won at the edge of its grid; widen the grid",
            operand.substr(0, dot)));
      }
    }
  }
  return absl::OkStatus();
}

std::string ClaimLine(const spec::ClaimVerdict& v) {
  std::string threshold = absl::StrFormat("%.6g", v.threshold());
  if (v.op() == "==") absl::StrAppendFormat(&threshold, " +- %.3g", v.tolerance());
  std::string line = absl::StrFormat("claim %s: %.6g %s %s %s", v.id(), v.value(),
                                     v.op(), threshold, v.pass() ? "PASS" : "FAIL");
  if (!v.failure().empty()) absl::StrAppend(&line, " (", v.failure(), ")");
  return line;
}

}  // namespace warmup
