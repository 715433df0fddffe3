#!/usr/bin/env bash
# Builds TorchSharp's native shim (libLibTorchSharp.so) against an existing libtorch, e.g. the site's PyTorch on a
# GPU node, so that pneuknow runs on that libtorch (PNEUKNOW_LIBTORCH=<out>). See README.md, "GPU clusters".
#
#   tools/native/build-libtorchsharp.sh --torch <torch package dir | libtorch dir> --source <TorchSharp source> --out <dir> [--jobs N]
#
# --torch   a pip/conda torch package (the folder of torch/__init__.py, with lib/ and share/cmake/Torch/) or a
#           libtorch distribution (lib/, include/, share/cmake/Torch/). CUDA headers and CMake files come from there
#           and from the CUDA toolkit that torch's CMake config finds (nvcc on PATH or CUDA_HOME).
# --source  TorchSharp's source tree at the tag of the managed package (TORCHSHARP_VERSION below).
# --out     receives libLibTorchSharp.so and libLibTorchSharp.build (the libtorch it was built against), the folder
#           that PNEUKNOW_LIBTORCH / --libtorch then names.
# The source tree is not modified: src/Native is copied to <out>/.build and the patches in tools/native/*.patch
# (each with a one-line reason in its first line) are applied to the copy.
set -euo pipefail

# Must equal the TorchSharp-cpu / TorchSharp-cuda-linux version in Directory.Packages.props (a test checks it):
# the managed TorchSharp.dll calls the shim's exports by name, and those change between TorchSharp releases.
TORCHSHARP_VERSION=0.107.0

die() { echo "build-libtorchsharp: $*" >&2; exit 1; }
torch="" source="" out="" jobs="$(nproc 2>/dev/null || echo 2)"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --torch) torch="${2:-}"; shift 2 ;;
    --source) source="${2:-}"; shift 2 ;;
    --out) out="${2:-}"; shift 2 ;;
    --jobs) jobs="${2:-}"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (expected --torch, --source, --out, --jobs)" ;;
  esac
done
[[ -n "$torch" && -n "$source" && -n "$out" ]] || die "expected --torch <dir> --source <dir> --out <dir>, found torch='${torch}' source='${source}' out='${out}'"
[[ -d "$torch" ]] || die "--torch: expected a torch package or libtorch directory, found no directory at '$torch'"
torch="$(cd "$torch" && pwd)"
[[ -f "$torch/share/cmake/Torch/TorchConfig.cmake" ]] || die "--torch: expected $torch/share/cmake/Torch/TorchConfig.cmake (a torch package or libtorch with its CMake files), found none"
[[ -f "$torch/lib/libtorch.so" ]] || die "--torch: expected $torch/lib/libtorch.so, found none"
[[ -f "$source/src/Native/LibTorchSharp/CMakeLists.txt" ]] || die "--source: expected TorchSharp's source tree (src/Native/LibTorchSharp/CMakeLists.txt), found none under '$source'"
source="$(cd "$source" && pwd)"

# The source must be the managed package's release: compare build/BranchInfo.props with TORCHSHARP_VERSION.
props="$source/build/BranchInfo.props"
if [[ -f "$props" ]]; then
  v="$(sed -n 's:.*<MajorVersion>\(.*\)</MajorVersion>.*:\1:p' "$props").$(sed -n 's:.*<MinorVersion>\(.*\)</MinorVersion>.*:\1:p' "$props").$(sed -n 's:.*<PatchVersion>\(.*\)</PatchVersion>.*:\1:p' "$props")"
  [[ "$v" == "$TORCHSHARP_VERSION" ]] || die "--source: expected TorchSharp $TORCHSHARP_VERSION (the managed package), found $v in $props; check out tag v$TORCHSHARP_VERSION"
else
  echo "build-libtorchsharp: warning: no $props, cannot check that the source is TorchSharp $TORCHSHARP_VERSION" >&2
fi

# The libtorch version: version.py of a torch package, build-version of a libtorch zip.
torch_version="" cuda=""
if [[ -f "$torch/version.py" ]]; then
  torch_version="$(sed -n "s/^__version__ *= *['\"]\([^'\"]*\)['\"].*/\1/p" "$torch/version.py")"
  cuda="$(sed -n "s/^cuda[^=]*= *['\"]\([^'\"]*\)['\"].*/\1/p" "$torch/version.py")"
elif [[ -f "$torch/build-version" ]]; then
  torch_version="$(tr -d '[:space:]' < "$torch/build-version")"
fi
[[ -n "$torch_version" ]] || die "--torch: expected $torch/version.py or $torch/build-version naming the libtorch version, found neither"
command -v cmake >/dev/null || die "expected cmake on PATH, found none"

mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$out/.build"
rm -rf "$work"
mkdir -p "$work"
cp -r "$source/src/Native" "$work/Native"
here="$(cd "$(dirname "$0")" && pwd)"
shopt -s nullglob
for p in "$here"/*.patch; do
  echo "build-libtorchsharp: applying $(basename "$p"): $(head -n 1 "$p" | sed 's/^# *//')"
  patch -d "$work/Native" -p1 --forward --batch < "$p" || die "patch $p does not apply to $source/src/Native (TorchSharp $TORCHSHARP_VERSION expected)"
done
# TorchSharp's own build generates this (version stamp for the shim's sccsid); it is not otherwise used.
echo "static char sccsid[] __attribute__((used)) = \"@(#)LibTorchSharp $TORCHSHARP_VERSION for libtorch $torch_version (PneuKnow build-libtorchsharp.sh)\";" > "$work/version.c"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
echo "build-libtorchsharp: TorchSharp $TORCHSHARP_VERSION shim against libtorch $torch_version${cuda:+ (CUDA $cuda)} from $torch"
__CMakeBinDir="$out" cmake -S "$work/Native" -B "$work/build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DLIBTORCH_PATH="$torch/share/cmake/Torch" -DCMAKE_PREFIX_PATH="$torch" \
  -DVERSION_FILE_PATH="$work/version.c" -DLIBTORCH_ARCH=x64
cmake --build "$work/build" --target LibTorchSharp -j "$jobs"
built="$(find "$work/build" -name libLibTorchSharp.so -type f | head -n 1)"
[[ -n "$built" ]] || die "the build finished but produced no libLibTorchSharp.so under $work/build"
cp "$built" "$out/libLibTorchSharp.so.tmp" && mv "$out/libLibTorchSharp.so.tmp" "$out/libLibTorchSharp.so"
{
  echo "# written by tools/native/build-libtorchsharp.sh; read by PneuKnow's TorchRuntime (SiteLibTorch)"
  echo "torchsharp=$TORCHSHARP_VERSION"
  echo "torch_version=$torch_version"
  echo "cuda=$cuda"
  echo "torch_lib=$torch/lib"
} > "$out/libLibTorchSharp.build.tmp"
mv "$out/libLibTorchSharp.build.tmp" "$out/libLibTorchSharp.build"
echo "build-libtorchsharp: wrote $out/libLibTorchSharp.so; use it with PNEUKNOW_LIBTORCH=$out"
