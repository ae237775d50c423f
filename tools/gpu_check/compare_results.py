"""Compares a network figure's smoke-tier Result on CUDA with the one on CPU.

Usage: compare_results.py CPU_RESULT_JSON CUDA_RESULT_JSON

Both runs start from the same weights (initialised on the CPU, then moved),
read the same minibatches (drawn on the CPU) and start Lanczos from the same
vector, so they differ only by float32 rounding (summation order in cuDNN and
cuBLAS against oneDNN and MKL; TF32 is off on CUDA). The tolerances:
- loss at step 0, each run: relative 1e-3. Same weights and batch; float32
  reductions over ~1e5 terms differ by ~1e-6 relative, so 1e-3 fails only on a
  real difference (wrong layer, wrong data, mixed precision).
- smoothness at step 0, each run: relative 2e-2. Same Hessian and start
  vector; Lanczos stops at a relative residual of 1e-3 or its HVP cap, and
  rounding can move where it stops by a step.
- final loss per schedule (mean over seeds of the last 10% of recorded
  losses): relative 0.1. Rounding differences grow along SGD with momentum;
  60 smoke-tier steps bound how far; a bound set before any GPU run, to be
  narrowed once measured.
- every run's outcome (completed or diverged) equal.
Exit status 0 when every comparison holds, 1 otherwise, 2 on unreadable input.
"""
import json
import sys

LOSS0_REL = 1e-3
SMOOTHNESS0_REL = 2e-2
FINAL_LOSS_REL = 0.1


def first_points(result, metric):
  return {s["run"]: s["y"][0] for s in result.get("series", [])
          if s.get("metric") == metric and s.get("x_name") == "step" and s.get("y")}


def check(name, cpu, cuda, rel, failures):
  error = abs(cuda - cpu) / max(abs(cpu), 1e-12)
  ok = error <= rel
  print(f"  {name}: cpu {cpu:.6g} cuda {cuda:.6g} rel. diff {error:.2e} <= {rel:g} "
        f"{'PASS' if ok else 'FAIL'}")
  if not ok:
    failures.append(name)


def main(argv):
  if len(argv) != 3:
    print(__doc__.splitlines()[2], file=sys.stderr)
    return 2
  try:
    cpu, cuda = (json.load(open(path)) for path in argv[1:])
  except (OSError, ValueError) as e:
    print(f"compare_results: cannot read a Result: {e}", file=sys.stderr)
    return 2
  failures = []
  for metric, rel in (("loss", LOSS0_REL), ("smoothness", SMOOTHNESS0_REL)):
    a, b = first_points(cpu, metric), first_points(cuda, metric)
    if metric == "loss" and not a:
      failures.append("no loss series")
    for run in sorted(a):
      if run not in b:
        failures.append(f"{run}: no {metric} on cuda")
        continue
      check(f"{run} {metric} at step 0", a[run], b[run], rel, failures)
  cpu_scalars = {s["name"]: s["value"] for s in cpu.get("scalars", [])}
  cuda_scalars = {s["name"]: s["value"] for s in cuda.get("scalars", [])}
  for name in sorted(cpu_scalars):
    if name.endswith(".final_loss") and name.count(".") == 1:
      if name not in cuda_scalars:
        failures.append(f"{name} missing on cuda")
        continue
      check(name, cpu_scalars[name], cuda_scalars[name], FINAL_LOSS_REL, failures)
  outcomes = [{r["run"]: r.get("outcome", "COMPLETED") for r in x.get("runs", [])}
              for x in (cpu, cuda)]
  if outcomes[0] != outcomes[1]:
    failures.append(f"run outcomes differ: cpu {outcomes[0]} cuda {outcomes[1]}")
  for f in failures:
    print(f"  FAIL: {f}")
  return 1 if failures else 0


if __name__ == "__main__":
  sys.exit(main(sys.argv))
