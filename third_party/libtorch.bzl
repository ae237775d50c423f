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

def _find_torch(rctx):
    explicit = rctx.os.environ.get("WARMUP_TORCH_DIR", "")
    if explicit:
        return rctx.path(explicit), "WARMUP_TORCH_DIR"
    workspace = rctx.path(Label("@//:WORKSPACE")).dirname
    found = rctx.execute(["/bin/sh", "-c", "ls -d '%s'/.venv/lib/python3*/site-packages/torch 2>/dev/null | head -n 1" % workspace])
    if found.stdout.strip():
        return rctx.path(found.stdout.strip()), "the project's .venv"
    fail("LibTorch not found: run tools/setup.sh (installs torch 2.11.0 into .venv/), " +
         "or set WARMUP_TORCH_DIR to a LibTorch folder or a torch package folder " +
         "(one with include/torch and lib/libtorch_cpu.so)")

def _libtorch_impl(rctx):
    torch, source = _find_torch(rctx)
    include = torch.get_child("include")
    lib = torch.get_child("lib")
    if not include.get_child("torch").exists or not lib.get_child("libtorch_cpu.so").exists:
        fail("%s (from %s) is not a LibTorch: expected include/torch and lib/libtorch_cpu.so there" % (torch, source))
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
        "%{source}": "%s (%s)" % (torch.realpath, source),
    })

libtorch_repository = repository_rule(
    implementation = _libtorch_impl,
    attrs = {"build_template": attr.label(default = "//third_party:libtorch.BUILD.tpl")},
    environ = ["WARMUP_TORCH_DIR", "CUDA_HOME"],
    local = True,
)
