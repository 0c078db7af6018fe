#!/usr/bin/env bash
# setup-libtorch.sh -- naspred: assemble libtorch 2.13.0 (what tch 0.26 / torch-sys 0.26 expect)
# from PyPI wheels only (download.pytorch.org is not needed).
#
# Usage:  setup-libtorch.sh [DEST]          (default DEST: ./.libtorch)
#         LIBTORCH_VARIANT=cuda setup-libtorch.sh [DEST]   # GPU build, see below
#
# CPU variant (default), ~490 MB on disk, ~540 MB downloaded:
#   DEST/torch/{lib,include,share,build-version}   from torch-2.13.0 (cp311 manylinux_2_28 x86_64 wheel)
#   DEST/nvidia/cu13/lib/{libcudart.so.13,libcupti.so.13}
#       libtorch_cpu.so has DT_NEEDED on these two; its RUNPATH already contains
#       $ORIGIN/../../nvidia/cu13/lib, so they are found without LD_LIBRARY_PATH.
#   The CUDA-only libraries (libtorch_cuda*.so, libc10_cuda.so, ...) are left out, so
#   torch-sys's build.rs (which links torch_cuda iff lib/libtorch_cuda.so exists) links
#   CPU only; libtorch.so's DT_NEEDED on libtorch_cuda.so is removed with patchelf.
#
# CUDA variant: `pip install --target DEST torch==2.13.0` (torch + all nvidia-* wheels,
#   ~4.7 GB); libtorch_cuda.so then exists, so torch-sys links it.
#
# Afterwards (both variants):
#   export LIBTORCH=$DEST/torch
#   export LD_LIBRARY_PATH=$DEST/torch/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# (tch does not put an rpath into downstream binaries, so LD_LIBRARY_PATH is needed at run
#  time unless the binary crate's build.rs adds -Wl,-rpath itself.)
#
# Needs: python3 with pip (any Python version: pip downloads the cp311 wheel explicitly),
# network access to PyPI. No unzip needed (python zipfile). patchelf is taken from PATH or
# from the PyPI 'patchelf' wheel (static binary). Idempotent: skips work if DEST is complete.
# WHEEL_CACHE: where wheels are downloaded (default ~/.cache/libtorch-wheels, ~516 MB);
# KEEP_WHEELS=0 deletes it afterwards.
set -euo pipefail

TORCH_VERSION=2.13.0
CUDART_VERSION=13.0.96   # cuda-toolkit[cudart]==13.0.3 -> nvidia-cuda-runtime==13.0.96.*
CUPTI_VERSION=13.0.85    # cuda-toolkit[cupti]==13.0.3  -> nvidia-cuda-cupti==13.0.85.*
PY=${PYTHON:-python3}
DEST=${1:-.libtorch}
VARIANT=${LIBTORCH_VARIANT:-cpu}
WHEEL_CACHE=${WHEEL_CACHE:-$HOME/.cache/libtorch-wheels}
# Explicit tags so that the cp311 wheels are fetched whatever python3 runs pip (pip does not
# widen an explicit --platform to older manylinux tags, hence the list).
PIP_PLATFORM_ARGS=(--only-binary=:all: --python-version 3.11 --implementation cp --abi cp311 --abi none
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_25_x86_64
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)

mkdir -p "$DEST" "$WHEEL_CACHE"
DEST=$(cd "$DEST" && pwd)
STAMP="$DEST/.complete-$VARIANT-$TORCH_VERSION"
if [[ -f $STAMP ]]; then
  echo "libtorch $TORCH_VERSION ($VARIANT) already in $DEST"
else
  if [[ $VARIANT == cuda ]]; then
    # Everything torch's wheel depends on, laid out like site-packages: the RUNPATHs
    # ($ORIGIN/../../nvidia/...) of torch/lib/*.so then resolve inside DEST.
    # Native tags here (the nvidia-* wheels use many manylinux tags): python3 must be a CPython
    # that torch 2.13.0 has wheels for (3.10-3.14).
    "$PY" -m pip install --no-compile --target "$DEST" "torch==$TORCH_VERSION"
  else
    for req in "torch==$TORCH_VERSION" "nvidia-cuda-runtime==$CUDART_VERSION.*" \
               "nvidia-cuda-cupti==$CUPTI_VERSION.*"; do
      "$PY" -m pip download --no-deps -d "$WHEEL_CACHE" "${PIP_PLATFORM_ARGS[@]}" "$req"
    done
    PATCHELF=$(command -v patchelf || true)
    if [[ -z $PATCHELF ]]; then
      "$PY" -m pip download --no-deps -d "$WHEEL_CACHE" --only-binary=:all: "patchelf"
    fi
    rm -rf "$DEST/torch" "$DEST/nvidia" "$DEST/.bin"
    "$PY" - "$WHEEL_CACHE" "$DEST" "$TORCH_VERSION" "$CUDART_VERSION" "$CUPTI_VERSION" "${PATCHELF:-}" <<'PYEOF'
import glob, os, sys, zipfile
cache, dest, tv, cv, pv, patchelf = sys.argv[1:7]
def one(pattern):
    m = sorted(glob.glob(os.path.join(cache, pattern)))
    if not m: sys.exit(f"no wheel matching {pattern} in {cache}")
    return m[-1]
# CUDA-only or Python-only libraries: leaving libtorch_cuda.so out makes torch-sys link CPU only.
SKIP = {"libtorch_cuda.so", "libtorch_cuda_linalg.so", "libc10_cuda.so", "libcaffe2_nvrtc.so",
        "libtorch_nvshmem.so", "libtorch_python.so", "libtorch_global_deps.so"}
def extract(whl, keep):
    with zipfile.ZipFile(whl) as z:
        for info in z.infolist():
            name = info.filename
            if name.endswith("/") or not keep(name):
                continue
            out = os.path.join(dest, name)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(info) as src, open(out, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            mode = (info.external_attr >> 16) & 0o777
            os.chmod(out, mode or 0o644)
extract(one(f"torch-{tv}-cp311-cp311-manylinux_2_28_x86_64.whl"),
        lambda n: n.startswith(("torch/lib/", "torch/include/", "torch/share/"))
                  and os.path.basename(n) not in SKIP)
extract(one(f"nvidia_cuda_runtime-{cv}-*.whl"), lambda n: n == "nvidia/cu13/lib/libcudart.so.13")
extract(one(f"nvidia_cuda_cupti-{pv}-*.whl"), lambda n: n == "nvidia/cu13/lib/libcupti.so.13")
for so in glob.glob(os.path.join(dest, "torch/lib/*.so*")) + glob.glob(os.path.join(dest, "nvidia/cu13/lib/*.so*")):
    os.chmod(so, 0o755)
if not patchelf:
    with zipfile.ZipFile(one("patchelf-*.whl")) as z:
        member = next(n for n in z.namelist() if n.endswith(".data/scripts/patchelf"))
        os.makedirs(os.path.join(dest, ".bin"), exist_ok=True)
        with z.open(member) as src, open(os.path.join(dest, ".bin/patchelf"), "wb") as dst:
            dst.write(src.read())
        os.chmod(os.path.join(dest, ".bin/patchelf"), 0o755)
with open(os.path.join(dest, "torch/build-version"), "w") as f:
    f.write(tv + "\n")
PYEOF
    PATCHELF=${PATCHELF:-$DEST/.bin/patchelf}
    # libtorch.so is a stub whose DT_NEEDED lists libtorch_cpu.so and libtorch_cuda.so.
    "$PATCHELF" --remove-needed libtorch_cuda.so "$DEST/torch/lib/libtorch.so"
  fi
  touch "$STAMP"
  if [[ ${KEEP_WHEELS:-1} == 0 ]]; then rm -rf "$WHEEL_CACHE"; fi
fi

# Sanity check: every library in torch/lib resolves (no "not found").
if LD_LIBRARY_PATH="$DEST/torch/lib" ldd "$DEST"/torch/lib/libtorch*.so | grep -q "not found"; then
  LD_LIBRARY_PATH="$DEST/torch/lib" ldd "$DEST"/torch/lib/libtorch*.so | grep "not found" >&2
  echo "setup-libtorch: unresolved libraries (see above)" >&2
  exit 1
fi
du -sh "$DEST" | sed 's/^/setup-libtorch: size /'
echo "export LIBTORCH=$DEST/torch"
echo "export LD_LIBRARY_PATH=$DEST/torch/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
