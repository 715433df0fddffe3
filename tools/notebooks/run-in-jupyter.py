#!/usr/bin/env python3
"""Executes one notebook in a real Jupyter kernel (the released dotnet-interactive one), as a researcher's Jupyter does.

Why: the in-process runner (lib/PneuKnow.Notebooks) hosts its own Microsoft.DotNet.Interactive library and its own
FSharp.Core, so it cannot see what breaks only in the released kernel (issue 24: FSharp.Core 10.0 vs 10.1).
Used by tests/PneuKnow.Tests/Notebooks/JupyterKernelTests.cs; needs only Debian's python3-nbclient, jupyter-client and
jupyter-core (no PyPI).

  run-in-jupyter.py --check [--kernel NAME]
      exit 0 when nbclient and the kernel are usable, else exit 3 and say what is missing (the test then skips).
  run-in-jupyter.py [--kernel NAME] [--cwd DIR] [--timeout S] IN.ipynb OUT.ipynb
      runs IN with the kernel started in DIR (default: IN's folder; notebooks/ keeps their `#r "../lib/..."` paths
      valid), writes the executed copy to OUT (also after a failure) and exits 1 at the first cell that fails.
"""
import argparse
import shutil
import sys

MISSING = 3


def check(kernel):
    try:
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError as e:
        return f"{e.name} is not installed for {sys.executable} (Debian: apt-get install python3-nbclient jupyter-client jupyter-core)"
    try:
        spec = KernelSpecManager().get_kernel_spec(kernel)
    except NoSuchKernel:
        return (f"no Jupyter kernel named {kernel!r} (dotnet tool install -g Microsoft.dotnet-interactive --version 1.0.712001; "
                "dotnet-interactive jupyter install)")
    # The kernelspec starts `dotnet interactive ...`, which finds the global tool on PATH.
    if spec.argv[:2] == ["dotnet", "interactive"] and shutil.which("dotnet-interactive") is None:
        return "dotnet-interactive is not on PATH (add ~/.dotnet/tools)"
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true")
    p.add_argument("--kernel", default=".net-csharp")
    p.add_argument("--cwd")
    p.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    p.add_argument("notebook", nargs="?")
    p.add_argument("output", nargs="?")
    a = p.parse_args()

    missing = check(a.kernel)
    if missing:
        print(missing, file=sys.stderr)
        return MISSING
    if a.check:
        return 0
    if not a.notebook or not a.output:
        p.error("IN.ipynb and OUT.ipynb are required")

    import os
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(a.notebook, as_version=4)
    cwd = a.cwd or os.path.dirname(os.path.abspath(a.notebook))
    client = NotebookClient(nb, kernel_name=a.kernel, timeout=a.timeout, allow_errors=False,
                            resources={"metadata": {"path": cwd}})
    rc = 0
    try:
        client.execute()
    except CellExecutionError as e:
        print(str(e), file=sys.stderr)
        rc = 1
    finally:
        nbformat.write(nb, a.output)
    return rc


if __name__ == "__main__":
    sys.exit(main())
