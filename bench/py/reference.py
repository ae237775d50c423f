"""Python references for bench:all, one measurement per call, printed as one
JSON line. Run only by the benchmark, with the project's .venv (the same
torch 2.11.0 the C++ side links; tools/setup.sh --full). Every timed part is
preceded by an untimed warm-up of the same work in this process.

  optimizer --dim D --iterations N    GD + theory warmup on the river valley (NumPy)
  step --model resnet|gpt ... --steps S
                                      median of S training steps after one warm-up step
  pyhessian --model ... --tolerance T PyHessian's top eigenvalue (its power
                                      iteration, its stopping rule), timed from
                                      the create-graph pass on, after one untimed run
  spectrum --model ... --quantity topk|trace|density
                                      PyHessian's top-k eigenvalues (--k, --tolerance,
                                      --max_iterations), trace (--probes Rademacher
                                      probes, never stopping early) or density
                                      (--runs, --lanczos_steps), timed from the create-graph
                                      pass on, after an untimed warm-up (the
                                      create-graph pass and two HVPs)
  hvp --model ... --repeats R         one Hessian-vector product, train mode:
                                      reverse-over-reverse (autograd.grad of a
                                      gradient graph built once) and forward-over-
                                      reverse (torch.func.jvp of grad, a full pass),
                                      medians of R after one warm-up each
"""
import argparse
import copy
import json
import os
import sys
import time

import numpy as np


def optimizer(args):
    d, n = args.dim, args.iterations
    mu, l0, l1, c, k0, k1 = 0.05, 1.0, 1.0, 1.0, 1.0, 1.0 + 2 * np.sqrt(0.05)
    w = np.full(d, 0.5 / np.sqrt(d - 1))
    w[0] = 40.0
    grad = np.empty(d)
    start = time.perf_counter()
    for _ in range(n):
        x, y = w[0], w[1:]
        y_sq = y @ y
        r = 0.5 * mu * x * x
        valley = l0 + l1 * r
        f = r + 0.5 * valley * y_sq
        grad[0] = mu * x * (1 + 0.5 * l1 * y_sq)
        np.multiply(valley, y, out=grad[1:])
        eta = c / (k0 + k1 * max(f, 0.0))
        w -= eta * grad
    seconds = time.perf_counter() - start
    return {"seconds_per_iteration": seconds / n, "final_value": float(f)}


def setup(args):
    """The model with the C++ side's weights and buffers, its batch, and a
    criterion (outputs, targets) -> loss."""
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import models
    torch.set_num_threads(args.threads)
    if args.model == "resnet":
        model = models.ResNet18(args.width)
        x = torch.from_numpy(np.fromfile(os.path.join(args.dir, "x.bin"), dtype=np.float32)
                             ).view(args.batch, 3, 32, 32)
        y = torch.from_numpy(np.fromfile(os.path.join(args.dir, "y.bin"), dtype=np.int64))
        criterion = torch.nn.functional.cross_entropy
    else:
        model = models.NanoGpt()
        tokens = torch.from_numpy(np.fromfile(os.path.join(args.dir, "tokens.bin"), dtype=np.int64)
                                  ).view(args.batch, -1)
        x, y = tokens[:, :-1], tokens[:, 1:]
        criterion = lambda out, target: torch.nn.functional.cross_entropy(
            out.reshape(-1, out.shape[-1]), target.reshape(-1))
    models.load_raw(model, os.path.join(args.dir, "params.bin"))
    model.train(args.model == "resnet")
    return torch, model, x, y, criterion


def step(args):
    torch, model, x, y, criterion = setup(args)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    first = criterion(model(x), y).item()
    times = []
    for i in range(args.steps + 1):  # the first is the warm-up
        start = time.perf_counter()
        opt.zero_grad()
        criterion(model(x), y).backward()
        opt.step()
        if i > 0:
            times.append(time.perf_counter() - start)
    return {"seconds": sorted(times)[len(times) // 2], "initial_loss": first,
            "torch": torch.__version__, "numpy": np.__version__}


def counting_pyhessian():
    """PyHessian's module (the package's name "hessian" is the class it
    exports) with its Hessian-vector products counted in hvps[0]."""
    import pyhessian  # noqa: F401 (loads pyhessian.hessian)
    pyhessian_module = sys.modules["pyhessian.hessian"]
    hvps = [0]
    product = pyhessian_module.hessian_vector_product

    def counted(*a, **k):
        hvps[0] += 1
        return product(*a, **k)

    pyhessian_module.hessian_vector_product = counted
    return pyhessian_module, hvps


def pyhessian(args):
    torch, model, x, y, criterion = setup(args)
    import pyhessian as package
    pyhessian_module, hvps = counting_pyhessian()

    def top_eigenvalue():
        model.zero_grad(set_to_none=True)  # PyHessian accumulates into .grad
        torch.manual_seed(1)
        comp = pyhessian_module.hessian(model, criterion, data=(x, y), cuda=False)
        values, _ = comp.eigenvalues(maxIter=args.max_iterations, tol=args.tolerance, top_n=1)
        return values[0]

    top_eigenvalue()  # warm-up: the same create-graph pass and iteration
    hvps[0] = 0
    start = time.perf_counter()
    value = top_eigenvalue()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "hvps": hvps[0], "eigenvalue": value,
            "pyhessian": getattr(package, "__version__", "0.1")}


def eig_for_pyhessian_density(t, eigenvectors=False):
    """torch.eig as PyHessian 0.1's density calls it (removed in torch 1.9):
    eigenvalues as (real, imaginary) columns and the eigenvectors, from the
    symmetric solver (T is symmetric tridiagonal, so the decomposition is the
    same; the order does not matter to PyHessian)."""
    import torch
    values, vectors = torch.linalg.eigh(t)
    return torch.stack([values, torch.zeros_like(values)], 1), vectors


def spectrum(args):
    torch, model, x, y, criterion = setup(args)
    import pyhessian as package
    pyhessian_module, hvps = counting_pyhessian()
    torch.eig = eig_for_pyhessian_density  # torch 2 keeps only a stub that raises

    def build():
        model.zero_grad(set_to_none=True)  # PyHessian accumulates into .grad
        torch.manual_seed(args.seed)
        return pyhessian_module.hessian(model, criterion, data=(x, y), cuda=False)

    def measure():
        comp = build()
        if args.quantity == "topk":
            values, _ = comp.eigenvalues(maxIter=args.max_iterations, tol=args.tolerance,
                                         top_n=args.k)
            return {"values": [float(v) for v in values]}
        if args.quantity == "trace":
            samples = comp.trace(maxIter=args.probes, tol=float("-inf"))
            return {"samples": [float(v) for v in samples]}
        nodes, weights = comp.density(iter=args.lanczos_steps, n_v=args.runs)
        return {"nodes": [float(v) for run in nodes for v in run],
                "weights": [float(v) for run in weights for v in run],
                "run_sizes": [len(run) for run in nodes]}

    build().eigenvalues(maxIter=2, tol=0.0, top_n=1)  # warm-up
    hvps[0] = 0
    start = time.perf_counter()
    out = measure()
    out["seconds"] = time.perf_counter() - start
    out["hvps"] = hvps[0]
    out["pyhessian"] = getattr(package, "__version__", "0.1")
    import numpy
    out["torch"] = torch.__version__
    out["numpy"] = numpy.__version__
    return out


def hvp(args):
    torch, model, x, y, criterion = setup(args)
    from torch.func import functional_call, grad, jvp, replace_all_batch_norm_modules_
    params = [p for p in model.parameters() if p.requires_grad]
    g = torch.Generator().manual_seed(1)
    v = [torch.randn(p.shape, generator=g) for p in params]

    def median(f):
        f()  # warm-up
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            f()
            times.append(time.perf_counter() - start)
        return sorted(times)[len(times) // 2]

    def gradient():
        torch.autograd.grad(criterion(model(x), y), params)

    # The gradient's graph is built once, as in a Lanczos run (and PyHessian).
    grads = torch.autograd.grad(criterion(model(x), y), params, create_graph=True)

    def reverse_over_reverse():
        return torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True)

    # Forward over reverse: torch.func differentiates functions of the
    # parameters; batch norm there uses batch statistics without updating
    # running ones (what train mode computes; running statistics do not enter
    # the loss).
    functional = copy.deepcopy(model)
    replace_all_batch_norm_modules_(functional)
    names = [n for n, p in functional.named_parameters() if p.requires_grad]
    primals = {n: p.detach() for n, p in zip(names, params)}
    tangents = {n: t for n, t in zip(names, v)}
    buffers = dict(functional.named_buffers())
    loss_of = lambda p: criterion(functional_call(functional, (p, buffers), (x,)), y)

    def forward_over_reverse():
        return jvp(grad(loss_of), (primals,), (tangents,))[1]

    reference = reverse_over_reverse()
    other = forward_over_reverse()
    diff = max((a - other[n]).abs().max().item() for a, n in zip(reference, names))
    scale = max(a.abs().max().item() for a in reference)
    return {"gradient": median(gradient), "reverse_over_reverse": median(reverse_over_reverse),
            "forward_over_reverse": median(forward_over_reverse),
            "max_relative_difference": diff / scale}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["optimizer", "step", "pyhessian", "spectrum", "hvp"])
    p.add_argument("--dim", type=int, default=2)
    p.add_argument("--iterations", type=int, default=100000)
    p.add_argument("--model", choices=["resnet", "gpt"], default="resnet")
    p.add_argument("--width", type=float, default=0.25)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--tolerance", type=float, default=1e-3)
    p.add_argument("--max_iterations", type=int, default=100)
    p.add_argument("--dir", default=".")
    p.add_argument("--quantity", choices=["topk", "trace", "density"], default="topk")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--probes", type=int, default=100)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--lanczos_steps", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    what = {"optimizer": optimizer, "step": step, "pyhessian": pyhessian, "spectrum": spectrum,
            "hvp": hvp}
    print(json.dumps(what[args.what](args)))


if __name__ == "__main__":
    main()
