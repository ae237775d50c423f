#include "lib/runner/claims.h"

#include <cmath>
#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/spec/claim_op.h"

namespace warmup {
namespace {

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

bool Applies(const spec::Claim& c, const std::string& tier) {
  return c.tiers().empty() ||
         std::find(c.tiers().begin(), c.tiers().end(), tier) != c.tiers().end();
}

// Why a value cannot be compared: a non-finite operand, or a finite pair
// whose ratio or difference is not finite (x / 0, x / inf is finite but rests
// on an infinite operand and is caught by the first test). Empty when fine.
std::string NonFiniteReason(const std::vector<std::pair<std::string, double>>& operands,
                            double value) {
  for (const auto& [name, v] : operands) {
    if (!std::isfinite(v)) {
      return absl::StrFormat("operand '%s' is %s, not a finite number", name,
                             absl::StrCat(v));
    }
  }
  if (!std::isfinite(value)) {
    return absl::StrFormat("the claim's value is %s, not a finite number",
                           absl::StrCat(value));
  }
  return "";
}

}  // namespace

absl::Status CheckClaimsApply(const spec::Experiment& experiment,
                              const std::string& tier) {
  if (!experiment.include().empty()) return absl::OkStatus();  // parts check
  for (const spec::Claim& c : experiment.claims()) {
    if (Applies(c, tier)) return absl::OkStatus();
  }
  if (!experiment.no_claims_reason().empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s: no claim applies at tier '%s'; add claims for it or state why in "
      "that tier's overrides (no_claims_reason)",
      experiment.name(), tier));
}

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
    if (!Applies(c, tier)) continue;
    double value = 0.0;
    if (absl::Status st = lookup(c.metric(), &value); !st.ok()) return st;
    std::vector<std::pair<std::string, double>> operands = {{c.metric(), value}};
    if (!c.divided_by().empty()) {
      double den = 0.0;
      if (absl::Status st = lookup(c.divided_by(), &den); !st.ok()) return st;
      operands.emplace_back(c.divided_by(), den);
      value = value / den;
    }
    if (!c.minus().empty()) {
      double sub = 0.0;
      if (absl::Status st = lookup(c.minus(), &sub); !st.ok()) return st;
      operands.emplace_back(c.minus(), sub);
      value = value - sub;
    }
    spec::ClaimVerdict* v = result->add_claims();
    v->set_id(c.id());
    v->set_value(value);
    v->set_op(ClaimOpSymbol(c.op()));
    v->set_threshold(c.threshold());
    v->set_tolerance(c.tolerance());
    v->set_pass(Holds(c.op(), value, c.threshold(), c.tolerance()));
    v->set_rationale(c.rationale());
    v->set_kind(ClaimKindName(c.kind()));
    // Non-finite values fail a claim: a run that never reached its target
    // has steps_to_target = +inf, and inf in a ratio must not read as 0.
    if (const std::string why = NonFiniteReason(operands, value); !why.empty()) {
      v->set_pass(false);
      v->set_failure(why);
    }
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
  if (!v.kind().empty()) absl::StrAppend(&line, " [", v.kind(), "]");
  if (!v.failure().empty()) absl::StrAppend(&line, " (", v.failure(), ")");
  return line;
}

}  // namespace warmup
