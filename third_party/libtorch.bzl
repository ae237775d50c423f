"""The one LibTorch of this project: the PyTorch wheel's (torch 2.11.0).

`tools/setup.sh` installs it into the project's `.venv/`. WARMUP_TORCH_DIR
points the build at another one instead: a LibTorch folder or an installed
torch package (both have include/ and lib/). CUDA_HOME (default
/usr/local/cuda) is the CUDA toolkit that `--config=cuda` compiles against.

The repository links symlinks, never copies: include/ keeps every header
folder of the wheel except google/ (its protobuf headers would shadow
Debian's protobuf 3.21, which the project's protos use) and pybind11/.
"""

_SKIPPED_HEADER_DIRS = ["google", "pybind11"]

# The LibTorch version the project pins (tools/setup.sh installs this wheel).
_PINNED_VERSION = "2.11.0"

def _find_torch(rctx):
    """The torch folder to build against and where it came from.

    WARMUP_TORCH_DIR wins; otherwise the project's .venv, read without a
    shell (paths with spaces or quotes are fine): the torch package of the
    highest python3.* folder that has one, so the choice does not depend on
    directory order.
    """
    explicit = rctx.os.environ.get("WARMUP_TORCH_DIR", "")
    if explicit:
        return rctx.path(explicit), "WARMUP_TORCH_DIR"
    venv_lib = rctx.path(Label("@//:WORKSPACE")).dirname.get_child(".venv").get_child("lib")
    candidates = []
    if venv_lib.exists:
        for python in venv_lib.readdir():
            torch = python.get_child("site-packages").get_child("torch")
            if python.basename.startswith("python3") and torch.exists:
                minor = python.basename[len("python3."):]
                candidates.append((int(minor) if minor.isdigit() else -1, str(torch)))
    if candidates:
        return rctx.path(sorted(candidates)[-1][1]), "the project's .venv"
    fail("LibTorch not found: run tools/setup.sh (installs torch %s into .venv/), " % _PINNED_VERSION +
         "or set WARMUP_TORCH_DIR to a LibTorch folder or a torch package folder " +
         "(one with include/torch and lib/libtorch_cpu.so)")

def _torch_version(rctx, include):
    """MAJOR.MINOR.PATCH from the headers' torch/headeronly/version.h (or the
    older torch/csrc/api/include/torch/version.h); "unknown" if neither."""
    for relative in ["torch/headeronly/version.h", "torch/csrc/api/include/torch/version.h"]:
        header = include
        for part in relative.split("/"):
            header = header.get_child(part)
        if not header.exists:
            continue
        parts = {}
        for line in rctx.read(header).splitlines():
            fields = [f for f in line.replace("\t", " ").split(" ") if f]
            if len(fields) == 3 and fields[0] == "#define" and fields[1].startswith("TORCH_VERSION_"):
                parts[fields[1][len("TORCH_VERSION_"):]] = fields[2]
        if "MAJOR" in parts and "MINOR" in parts and "PATCH" in parts:
            return "%s.%s.%s" % (parts["MAJOR"], parts["MINOR"], parts["PATCH"])
    return "unknown"

def _libtorch_impl(rctx):
    torch, source = _find_torch(rctx)
    include = torch.get_child("include")
    lib = torch.get_child("lib")
    if not include.get_child("torch").exists or not lib.get_child("libtorch_cpu.so").exists:
        fail("%s (from %s) is not a LibTorch: expected include/torch and lib/libtorch_cpu.so there" % (torch, source))
    version = _torch_version(rctx, include)
    if version != _PINNED_VERSION:
        fail(("LibTorch %s found at %s (from %s); this project pins %s: run tools/setup.sh, " +
              "or point WARMUP_TORCH_DIR at a %s LibTorch") % (version, torch, source, _PINNED_VERSION, _PINNED_VERSION))
    print_found = "LibTorch %s from %s (%s)" % (version, torch.realpath, source)
    for child in include.readdir():
        if child.basename not in _SKIPPED_HEADER_DIRS:
            rctx.symlink(child, "include/" + child.basename)
    rctx.symlink(lib, "lib")

    cuda_home = rctx.path(rctx.os.environ.get("CUDA_HOME", "/usr/local/cuda"))
    has_cuda = cuda_home.get_child("include").get_child("cuda_runtime_api.h").exists
    if has_cuda:
        rctx.symlink(cuda_home.get_child("include"), "cuda/include")
    else:
        rctx.file("cuda/include/README", "no CUDA toolkit at %s\n" % cuda_home)

    rctx.template("BUILD.bazel", rctx.attr.build_template, {
        "%{torch_lib}": str(lib.realpath),
        "%{cuda_lib}": str(cuda_home.get_child("lib64")),
        "%{source}": print_found,
    })

libtorch_repository = repository_rule(
    implementation = _libtorch_impl,
    attrs = {"build_template": attr.label(default = "//third_party:libtorch.BUILD.tpl")},
    environ = ["WARMUP_TORCH_DIR", "CUDA_HOME"],
    local = True,
)
