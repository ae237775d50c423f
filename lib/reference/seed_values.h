#ifndef WARMUP_LIB_REFERENCE_SEED_VALUES_H_
#define WARMUP_LIB_REFERENCE_SEED_VALUES_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "proto/result.pb.h"

namespace warmup {

// The quantities of a seeded network Result, one value per seed, read from
// the names the network engine gives them: scalars "<label>/seed<k>.<q>",
// series with runs "<label>/seed<k>". A quantity's name drops the seed part:
//   "<label>.<q>"                        a per-run scalar (final_loss, ...);
//   "<label>/<metric>@step=<x>"          a recorded curve at one step;
//   "<label>/<metric>@<x_name>.points"   how many points a scatter holds;
//   "paired <a> - <b>.final_loss"        a seed-paired difference of runs.
// Scalars "<label>.initial_<q>" are what any machine reproduces to rounding
// (the first loss, gradient norm and curvature measurement). Everything else
// is computed from all seeds at once and is listed with why it is not a
// per-seed quantity.
struct SeedValues {
  std::map<std::string, std::map<int64_t, double>> samples;  // name -> seed -> value
  std::map<std::string, std::map<int64_t, double>> tight;
  std::map<std::string, std::string> excluded;  // name -> reason
  // Tuned baselines: label -> "rate <r>, warmup_steps <w>".
  std::map<std::string, std::string> winners;
  // Recorded curves: "<label>/<metric>@step" -> the x of the first seed's
  // points, for choosing which steps a reference keeps.
  std::map<std::string, std::vector<double>> series_x;
};

// Reads the per-seed quantities of `result` (a run of two or more seeds:
// with one, run names carry no seed). Quantities of the specs named in
// `included` (a composite's parts, prefixed "<name>." or "<name>/") are
// excluded: they are compared in their own references.
SeedValues ExtractSeedValues(const spec::Result& result,
                             const std::vector<std::string>& included);

// "sgd/seed12.final_loss" -> ("sgd.final_loss", 12); "fig1a/sgd/seed0" ->
// ("fig1a/sgd", 0). False when the name has no "/seed<k>" part.
bool SplitSeed(const std::string& name, std::string* without_seed, int64_t* seed);

}  // namespace warmup

#endif  // WARMUP_LIB_REFERENCE_SEED_VALUES_H_
