#!/usr/bin/python3
# Writes the notebook fixtures of tests/PneuKnow.Tests/Notebooks (small polyglot notebooks, no torch, no NuGet).
# Rerun from the repository root: /usr/bin/python3 tests/PneuKnow.Tests/Fixtures/Notebooks/make_notebooks.py
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))

def md(src):
    return {"cell_type": "markdown", "metadata": {}, "source": src.strip("\n").splitlines(True)}

def code(src, tags=None):
    meta = {"dotnet_interactive": {"language": "csharp"}, "polyglot_notebook": {"kernelName": "csharp"}}
    if tags:
        meta["tags"] = tags
    return {"cell_type": "code", "execution_count": None, "metadata": meta, "outputs": [], "source": src.strip("\n").splitlines(True)}

def write(name, cells):
    nb = {"cells": cells, "metadata": {
        "kernelspec": {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"},
        "language_info": {"name": "polyglot-notebook"},
        "polyglot_notebook": {"kernelInfo": {"defaultKernelName": "csharp", "items": [{"aliases": [], "name": "csharp"}]}}},
        "nbformat": 4, "nbformat_minor": 5}
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(nb, f, indent=1)
        f.write("\n")

# Cell 3 throws; cell 4 must never run.
write("throws-at-cell-3.ipynb", [
    md("A notebook that fails on purpose."),
    code('var answer = 6 * 7;\nConsole.WriteLine($"answer={answer}");'),
    code('throw new InvalidOperationException($"deliberate failure after answer={answer}");'),
    code('Console.WriteLine("cell 4 ran");'),
])

# Cell 2 does not compile (an undefined name).
write("does-not-compile-at-cell-2.ipynb", [
    code('var x = 1;'),
    code('var y = x + undefinedName;'),
    code('Console.WriteLine("cell 3 ran");'),
])

# Papermill-style parameters of several types; the next cell prints them back.
write("parameters.ipynb", [
    md("Parameters of every supported type."),
    code('var preset = "smoke";\nint epochs = 2;\nvar learningRate = 0.001;\nbool fast = true;', tags=["parameters"]),
    code('Console.WriteLine($"preset={preset} epochs={epochs} learningRate={learningRate.ToString(System.Globalization.CultureInfo.InvariantCulture)} fast={fast} sum={epochs + 1}");'),
])

# NotebookProgress inside a kernel: the executed copy must keep the bar's final state.
write("progress.ipynb", [
    code('#r "../../../../lib/PneuKnow.Notebooks/bin/Release/net10.0/PneuKnow.Notebooks.dll"'),
    code('var progress = PneuKnow.Notebooks.NotebookProgress.Create(minIntervalMs: 0);\n'
         'using (var task = progress.Start("five steps", 5))\n'
         '    for (int i = 1; i <= 5; i++) task.Advance(1, $"step {i}");'),
])

# NotebookProgress.Line: one display per cell, whatever the tasks; NotebookDisplay.Png: an image/png output.
write("line-progress.ipynb", [
    code('#r "../../../../lib/PneuKnow.Notebooks/bin/Release/net10.0/PneuKnow.Notebooks.dll"'),
    code('var progress = PneuKnow.Notebooks.NotebookProgress.Line("study", minIntervalMs: 0);\n'
         'using (var units = progress.Start("units", 2))\n'
         '    for (int u = 0; u < 2; u++)\n'
         '    {\n'
         '        using (var unit = progress.Start($"unit {u}", 3))\n'
         '            for (int i = 0; i < 3; i++) unit.Advance(1, $"epoch {i}");\n'
         '        units.Advance(1);\n'
         '    }'),
    code('using (var claims = progress.Start("claims", 1)) claims.Advance(1);'),
    code('PneuKnow.Notebooks.NotebookDisplay.Png(Convert.FromBase64String('
         '"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="));'),
])

# Relative paths in code: the executed copy, stored elsewhere, names the same files from where it lies.
write("relative-paths.ipynb", [
    code('var engine = "../../../../lib/PneuKnow.Notebooks/bin/Release/net10.0/PneuKnow.Notebooks.dll";\n'
         'var missing = "../no/such/file.txt";\n'
         'var name = "x";\n'
         'var interpolated = $"../{name}/file.txt";\n'
         'Console.WriteLine(System.IO.File.Exists(engine));'),
])
