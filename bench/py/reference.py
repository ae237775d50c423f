"""Python references for bench:all, one measurement per call, printed as one
JSON line. Run only by the benchmark, with /usr/bin/python3 (Debian's
python3-numpy and python3-torch).

  optimizer --dim D --iterations N      GD + theory warmup on the river valley (NumPy)
  step --model resnet|gpt --width W --batch B --threads T --dir DIR
                                        one timed training step (after warm-up)
  power --model ... --dir DIR           PyHessian-style power iteration
"""
import argparse
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
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import models
    torch.set_num_threads(args.threads)
    if args.model == "resnet":
        model = models.ResNet18(args.width)
        x = torch.from_numpy(np.fromfile(os.path.join(args.dir, "x.bin"), dtype=np.float32)
                             ).view(args.batch, 3, 32, 32)
        y = torch.from_numpy(np.fromfile(os.path.join(args.dir, "y.bin"), dtype=np.int64))
        loss = lambda: torch.nn.functional.cross_entropy(model(x), y)
    else:
        model = models.NanoGpt()
        tokens = torch.from_numpy(np.fromfile(os.path.join(args.dir, "tokens.bin"), dtype=np.int64)
                                  ).view(args.batch, -1)
        x, y = tokens[:, :-1], tokens[:, 1:]
        loss = lambda: torch.nn.functional.cross_entropy(model(x).reshape(-1, 65), y.reshape(-1))
    models.load_raw(model, os.path.join(args.dir, "params.bin"))
    model.train(args.model == "resnet")
    return torch, model, loss


def step(args):
    torch, model, loss = setup(args)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    first = loss().item()
    times = []
    for i in range(args.steps + 1):
        start = time.perf_counter()
        opt.zero_grad()
        value = loss()
        value.backward()
        opt.step()
        if i > 0:
            times.append(time.perf_counter() - start)
    return {"seconds": sorted(times)[len(times) // 2], "initial_loss": first,
            "torch": torch.__version__, "numpy": np.__version__}


def power(args):
    torch, model, loss = setup(args)
    params = [p for p in model.parameters() if p.requires_grad]
    start = time.perf_counter()
    grads = torch.autograd.grad(loss(), params, create_graph=True)
    g = torch.Generator().manual_seed(1)
    v = [torch.randn(p.shape, generator=g) for p in params]
    norm = torch.sqrt(sum((u * u).sum() for u in v))
    v = [u / norm for u in v]
    eigenvalue, iterations = None, 0
    for i in range(100):  # PyHessian: at most 100 iterations, tolerance 1e-3
        hv = torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True)
        iterations += 1
        new = sum((a * b).sum() for a, b in zip(hv, v)).item()
        norm = torch.sqrt(sum((h * h).sum() for h in hv))
        v = [h / norm for h in hv]
        if eigenvalue is not None and abs(eigenvalue - new) / (abs(eigenvalue) + 1e-6) < 1e-3:
            eigenvalue = new
            break
        eigenvalue = new
    return {"seconds": time.perf_counter() - start, "hvps": iterations, "eigenvalue": eigenvalue}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["optimizer", "step", "power"])
    p.add_argument("--dim", type=int, default=2)
    p.add_argument("--iterations", type=int, default=100000)
    p.add_argument("--model", choices=["resnet", "gpt"], default="resnet")
    p.add_argument("--width", type=float, default=0.25)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--dir", default=".")
    args = p.parse_args()
    print(json.dumps({"optimizer": optimizer, "step": step, "power": power}[args.what](args)))


if __name__ == "__main__":
    main()
