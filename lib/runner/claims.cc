#include "lib/runner/claims.h"

#include <algorithm>
#include <cmath>
#include <limits>
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

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Why a value cannot be compared: an operand the run did not record, a
// non-finite operand, or a finite pair whose ratio or difference is not
// finite (x / 0; x / inf is finite but rests on an infinite operand and is
// caught by the second test). Empty when fine.
std::string NonFiniteReason(const std::vector<std::pair<std::string, double>>& operands,
                            double value, const std::map<std::string, double>& scalars) {
  for (const auto& [name, v] : operands) {
    if (scalars.count(name) == 0) {
      return absl::StrFormat("operand '%s' was not recorded by this run", name);
    }
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

// A tuned baseline whose winner sits on its grid's edge is no optimum: the
// reason a claim on it fails, or empty.
std::string GridEdgeReason(const std::vector<std::pair<std::string, double>>& operands,
                           const std::map<std::string, double>& scalars) {
  for (const auto& [name, v] : operands) {
    const auto dot = name.find('.');
    if (dot == std::string::npos) continue;
    const auto edge = scalars.find(name.substr(0, dot) + ".at_grid_edge");
    if (edge != scalars.end() && edge->second != 0.0) {
      return absl::StrFormat("tuned baseline '%s' won at the edge of its grid; widen the grid",
                             name.substr(0, dot));
    }
  }
  return "";
}

}  // namespace

absl::Status CheckClaimsApply(const spec::Experiment& experiment,
                              const std::string& tier) {
  if (experiment.engine().has_composite()) return absl::OkStatus();  // parts check
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
  for (const spec::Claim& c : experiment.claims()) {
    if (!Applies(c, tier)) continue;
    // Validation checked that each operand is declared; one the run did not
    // record (a failed fit records fewer) reads as NaN and fails the claim.
    std::vector<std::pair<std::string, double>> operands;
    for (const std::string& name : {c.metric(), c.divided_by(), c.minus()}) {
      if (name.empty()) continue;
      const auto it = scalars.find(name);
      operands.emplace_back(name, it == scalars.end() ? kNaN : it->second);
    }
    double value = operands[0].second;  // validation requires the metric
    size_t next = 1;
    if (!c.divided_by().empty()) value /= operands[next++].second;
    if (!c.minus().empty()) value -= operands[next++].second;
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
    if (const std::string why = NonFiniteReason(operands, value, scalars); !why.empty()) {
      v->set_pass(false);
      v->set_failure(why);
    }
    if (const std::string edge = GridEdgeReason(operands, scalars); !edge.empty()) {
      v->set_pass(false);
      v->set_failure(edge);
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
