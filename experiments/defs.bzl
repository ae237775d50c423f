"""Thin bindings of the one runner to a spec: figure targets and claim tests."""

def experiment_figure(name, spec, tier = None, data = []):
    """`bazel run //figures:<name>` runs the runner on `spec`.

    Extra arguments (--tier=paper, --out=DIR) are passed through.
    """
    args = ["$(location //experiments:run)", "--spec=$(location %s)" % spec]
    if tier:
        args.append("--tier=" + tier)
    native.sh_binary(
        name = name,
        srcs = ["//experiments:launch.sh"],
        args = args,
        data = ["//experiments:run", spec] + data,
    )

def experiment_claim_test(name, spec, tier = "smoke", size = "medium", tags = [], data = []):
    """A test that runs `spec` at `tier` and fails when any claim fails.

    `data` lists further specs the spec includes.
    """
    native.sh_test(
        name = name,
        size = size,
        srcs = ["//experiments:claim_test.sh"],
        # One LibTorch thread: Bazel runs tests side by side on few cores,
        # and OpenMP's spinning threads stall when oversubscribed.
        args = [
            "$(location //experiments:run)",
            "--spec=$(location %s)" % spec,
            "--tier=" + tier,
            "--threads=1",
            "--progress=false",
        ],
        data = ["//experiments:run", spec] + data,
        tags = tags,
    )
