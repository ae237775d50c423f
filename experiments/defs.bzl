"""One macro per experiment: its figure target and its smoke test.

A new experiment is one spec (`<name>.textproto`, proto/experiment.proto) and
one call in a BUILD file:

    experiment(name = "<name>", spec = "<name>.textproto")

`bazel run :<name>` then regenerates its figure (any tier), and
`bazel test :<name>_test` runs its smoke tier once, checking its claims and,
when `<folder of the spec>/reference/<name>.smoke.json` exists, the stored
reference (`bazel run //:reproduce -- --tier=smoke --update_reference
--only=<name>` writes one).
"""

def _spec_package(spec):
    """The package that holds `spec` (a label or a file of this package)."""
    if spec.startswith("//"):
        return spec[2:].split(":")[0]
    return native.package_name()

def experiment_figure(name, spec, tier = None, data = []):
    """`bazel run :<name>` runs the runner on `spec`.

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

def experiment(name, spec, includes = [], tested_with = None, size = "large"):
    """The figure target `:<name>` and the smoke test `:<name>_test`.

    Args:
      name: the spec's `name` field.
      spec: the spec file (a label, or a file of this package).
      includes: names of the specs this one includes (a composite, in the
        same folder). Its test runs them first in the same process and
        reuses their Results, so each trains once.
      tested_with: the composite whose test covers this experiment: then
        `:<name>_test` is that test, and this spec does not train twice per
        `bazel test //...`.
      size: the test's size.
    """
    package = _spec_package(spec)
    include_specs = ["//%s:%s.textproto" % (package, i) for i in includes]
    experiment_figure(name = name, spec = spec, data = include_specs)
    if tested_with:
        native.test_suite(name = name + "_test", tests = [":%s_test" % tested_with])
        return
    native.sh_test(
        name = name + "_test",
        size = size,
        srcs = ["//experiments:experiment_test.sh"],
        args = [
            "$(location //lib/reproduce:reproduce)",
            ",".join(includes + [name]),
            package,
        ],
        data = ["//lib/reproduce:reproduce", spec] + include_specs + _folder_inputs(package, spec),
    )

def _folder_inputs(package, spec):
    """The specs and references //:reproduce reads from the spec's folder (it
    validates every spec there before running any). An experiment outside
    experiments/ is declared in the BUILD file of its own folder."""
    if package == "experiments":
        return ["//experiments:specs", "//experiments/reference:references"]
    if package != native.package_name():
        fail("experiment(): a spec outside experiments/ must be declared in its own folder's BUILD")
    return native.glob(["*.textproto", "reference/*.json"], exclude = [spec])
