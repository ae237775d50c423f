#include "lib/trainer/trace_record.h"

namespace warmup {
namespace {

// The vector fields of a trace and of its record, in one list so that
// neither direction can miss one.
template <typename Visit>
void ForEachVector(TrainTrace& t, spec::TrainTraceRecord& r, Visit visit) {
  visit(t.step, *r.mutable_step());
  visit(t.loss, *r.mutable_loss());
  visit(t.lr, *r.mutable_lr());
  visit(t.profile_step, *r.mutable_profile_step());
  visit(t.profile_gap, *r.mutable_profile_gap());
  visit(t.profile_smoothness, *r.mutable_profile_smoothness());
  visit(t.profile_lambda_max, *r.mutable_profile_lambda_max());
  visit(t.profile_lambda_min, *r.mutable_profile_lambda_min());
  visit(t.trace_step, *r.mutable_trace_step());
  visit(t.trace, *r.mutable_trace());
  visit(t.trace_lo95, *r.mutable_trace_lo95());
  visit(t.trace_hi95, *r.mutable_trace_hi95());
  visit(t.quadrature_step, *r.mutable_quadrature_step());
}

}  // namespace

spec::TrainTraceRecord TraceRecord(const TrainTrace& trace) {
  TrainTrace t = trace;
  spec::TrainTraceRecord r;
  ForEachVector(t, r, [](std::vector<double>& v, auto& field) { field.Add(v.begin(), v.end()); });
  for (const Quadrature& q : t.quadrature) {
    auto* out = r.add_quadrature();
    out->mutable_nodes()->Add(q.nodes.begin(), q.nodes.end());
    out->mutable_weights()->Add(q.weights.begin(), q.weights.end());
  }
  r.set_profile_unconverged(t.profile_unconverged);
  r.set_initial_grad_norm(t.initial_grad_norm);
  r.set_initial_hvp_norm(t.initial_hvp_norm);
  r.set_profile_invalid(t.profile_invalid);
  r.set_profile_failure(t.profile_failure);
  r.set_diverged(t.diverged);
  r.set_steps_run(t.steps_run);
  r.set_resumed_from(t.resumed_from);
  r.set_device(t.device);
  r.set_gpu(t.gpu);
  r.mutable_versions()->insert(t.versions.begin(), t.versions.end());
  for (const std::string& op : t.nondeterministic_operations) r.add_nondeterministic_operations(op);
  for (const DataFile& f : t.data_files) {
    auto* out = r.add_data_files();
    out->set_path(f.path);
    out->set_sha256(f.sha256);
    out->set_bytes(f.bytes);
  }
  r.set_parameters(t.parameters);
  return r;
}

TrainTrace TraceFromRecord(const spec::TrainTraceRecord& record) {
  spec::TrainTraceRecord r = record;
  TrainTrace t;
  ForEachVector(t, r, [](std::vector<double>& v, auto& field) { v.assign(field.begin(), field.end()); });
  for (const auto& q : r.quadrature()) {
    t.quadrature.push_back({{q.nodes().begin(), q.nodes().end()},
                            {q.weights().begin(), q.weights().end()}});
  }
  t.profile_unconverged = r.profile_unconverged();
  t.initial_grad_norm = r.initial_grad_norm();
  t.initial_hvp_norm = r.initial_hvp_norm();
  t.profile_invalid = r.profile_invalid();
  t.profile_failure = r.profile_failure();
  t.diverged = r.diverged();
  t.steps_run = r.steps_run();
  t.resumed_from = r.resumed_from();
  t.device = r.device();
  t.gpu = r.gpu();
  t.versions = {r.versions().begin(), r.versions().end()};
  t.nondeterministic_operations = {r.nondeterministic_operations().begin(),
                                   r.nondeterministic_operations().end()};
  for (const auto& f : r.data_files()) t.data_files.push_back({f.path(), f.sha256(), f.bytes()});
  t.parameters = r.parameters();
  return t;
}

}  // namespace warmup
