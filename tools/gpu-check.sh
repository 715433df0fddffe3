#!/usr/bin/env bash
# The GPU check of issue 17, for a bare GPU node: an NVIDIA GPU with its driver, a site PyTorch (with its CMake files
# and headers under the torch package), timm, CMake, ninja and nvcc; no .NET SDK and no network. Copy in the repository
# (this script and tools/), the --libtorch none bundle (pneuknow bundle --out dist --libtorch none) and TorchSharp's
# source at the managed package's tag, then:
#
#   tools/gpu-check.sh --bundle <bundle folder or .tar.xz> --torchsharp-source <dir> [--python python3] [--minutes-per-slice 1.5]
#
# Everything goes to one log, results/gpu/<date>-<gpu>.log: the machine, the shim build, pneuknow info, the CUDA tests
# (only where a .NET SDK is present: they are xunit tests), reproduce --preset smoke --device cuda, and a timed slice of
# the paper recipe (224 px, batch 8, Adam 1e-4, cosine) for ConvNeXt-small and ResNet-50, baseline and HKD (teacher
# and student), in pneuknow and in plain PyTorch (tools/gpu/pytorch_slice.py, fp32 and AMP), with the images/s ratio.
set -uo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
bundle="" tsrc="" python="${PYTHON:-python3}" slice_minutes=1.5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bundle) bundle="$2"; shift 2 ;;
    --torchsharp-source) tsrc="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --minutes-per-slice) slice_minutes="$2"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    *) echo "gpu-check: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
dry="${dry:-0}"
[[ -n "$bundle" && -n "$tsrc" ]] || { echo "gpu-check: expected --bundle <dir|tar.xz> --torchsharp-source <dir>" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")"
gpu="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1 | tr ' ' '-' )"
mkdir -p results/gpu
log="$repo/results/gpu/$(date -u +%Y-%m-%d)-${gpu:-nogpu}.log"
exec > >(tee -a "$log") 2>&1
step() { echo; echo "=== $(date -u +%H:%M:%S) $*"; }
status=0
fail() { echo "FAILED: $*"; status=1; }

step "machine"
uname -a; nvidia-smi || fail "nvidia-smi"
"$python" - <<'PY' || fail "python torch/timm"
import torch, platform
print("python", platform.python_version(), "torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())
print("gpu", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none")
try:
    import timm; print("timm", timm.__version__)
except Exception as e: print("timm missing:", e)
PY
cmake --version | head -n 1; ninja --version; nvcc --version | tail -n 2

step "bundle"
if [[ -f "$bundle" ]]; then tar -C "$work" -xJf "$bundle" && bundle="$(ls -d "$work"/pneuknow-linux-x64*/ | head -n 1)"; fi
pk="$bundle/pneuknow"
[[ -x "$pk" ]] || { fail "no executable pneuknow in $bundle"; exit 1; }
echo "bundle: $bundle"

step "shim: tools/native/build-libtorchsharp.sh against the site torch"
torch_dir="$("$python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')"
# --dry-run (a machine without a GPU): no shim build, the bundle's own libtorch, the CPU, and no PyTorch slice.
dev=cuda
if [[ "$dry" == 1 ]]; then echo "(dry run: shim build skipped, device cpu)"; dev=cpu; else
  tools/native/build-libtorchsharp.sh --torch "$torch_dir" --source "$tsrc" --out "$work/shim" || { fail "shim build"; exit 1; }
  export PNEUKNOW_LIBTORCH="$work/shim"
fi

step "pneuknow info --device cuda"
"$pk" info --device "$dev" --verbose || fail "info"

step "CUDA tests"
if [[ "$dry" == 1 ]]; then echo "(dry run: CUDA tests skipped)"
elif command -v dotnet >/dev/null; then
  # The test host inherits PNEUKNOW_LIBTORCH, so the CPU-package build runs them on the site's CUDA libtorch.
  dotnet test "$repo/tests/PneuKnow.Tests" -c Release --filter "FullyQualifiedName~PneuKnow.Tests.Cuda" --logger "console;verbosity=normal" || fail "CUDA tests"
else
  echo "PENDING: no .NET SDK on this machine; the CUDA tests (tests/PneuKnow.Tests/Cuda) need dotnet test"
fi

step "reproduce --preset smoke --device cuda"
"$pk" reproduce --preset smoke --device "$dev" --no-notebooks --out "$work/smoke" --data "$work/smoke-data" || fail "reproduce smoke on cuda"

step "paper-recipe slice: phantom of 1082 images at 224 px"
data="$work/phantom224"
"$pk" synth --out "$data" --images 1082 --size 224 --seed 1 || fail "synth"
for arch in convnext_small resnet50; do
  for kind in baseline hkd; do
    cfg="$work/$arch-$kind.json"
    stage="\"resolution\": 224, \"model_architecture\": \"$arch\", \"dropout_percent\": 0.5, \"augmentations\": \"strong\", \"batch_size\": 8, \"pretrained\": false, \"schedule\": \"cosine\", \"learning_rate\": 0.0001"
    if [[ $kind == baseline ]]; then sections="\"model\": { $stage, \"epochs\": 1 }"
    else sections="\"teacher\": { $stage, \"epochs\": 1, \"roi_percent\": 1.0 }, \"student\": { $stage, \"epochs\": 1, \"kd_epochs\": 1 }"; fi
    cat > "$cfg" <<JSON
{ "settings": { "experiment_name": "$arch-$kind", "raw_data_dir": "$data/raw", "roi_data_dir": "$data/roi", "metadata_file": "$data/manifest.csv",
                "model_dir": "$work/slice", "repeated_runs": 1, "seed": 1 }, $sections }
JSON
    step "pneuknow $arch $kind (1 epoch per stage)"
    timeout "$(awk -v m="$slice_minutes" 'BEGIN{print int(m*60*3)}')" "$pk" train "$cfg" --device "$dev" --out "$work/slice" || fail "pneuknow $arch $kind"
    for t in $(find "$work/slice/$arch-$kind" -name timings.csv); do echo "$t"; cat "$t"; done
  done
done
nvidia-smi --query-gpu=memory.used,memory.total --format=csv || true

step "plain PyTorch: the same slice (timm, fp32 and AMP)"
[[ "$dry" == 1 ]] && echo "(dry run: skipped)" || "$python" tools/gpu/pytorch_slice.py --data "$data" --seconds 10 --pneuknow-runs "$work/slice" || fail "pytorch slice"

step "done (status $status); log: $log"
rm -rf "$work"
exit $status
