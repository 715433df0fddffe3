using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PneuKnow.Notebooks;

/// <summary>One variable declared by a notebook's <c>parameters</c> cell.</summary>
/// <param name="Name">The variable name.</param>
/// <param name="Type">The C# type: the declared one, or the literal's for <c>var</c>; null when it cannot be told.</param>
/// <param name="DefaultExpression">The initializer as written.</param>
public sealed record NotebookParameter(string Name, string? Type, string DefaultExpression);

/// <summary>
/// Papermill-style parameters: the cell tagged <c>parameters</c> declares defaults as C# variables
/// (<c>var preset = "smoke";</c>); overrides are injected as a new cell right after it, redeclaring the
/// variables (C# script submissions may shadow earlier ones).
/// </summary>
public static class NotebookParameters
{
    /// <summary>The tag that marks the defaults cell.</summary>
    public const string Tag = "parameters";

    /// <summary>The tag of the cell the runner injects (as papermill names it).</summary>
    public const string InjectedTag = "injected-parameters";

    /// <summary>Parses <c>key=value</c> command-line pairs.</summary>
    /// <exception cref="NotebookRunException">A pair without <c>=</c>, an empty key, or a key given twice.</exception>
    public static IReadOnlyDictionary<string, string> ParsePairs(IEnumerable<string> pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0)
                throw new NotebookRunException($"parameter: expected key=value, found '{pair}'.");
            var key = pair[..eq].Trim();
            if (!result.TryAdd(key, pair[(eq + 1)..]))
                throw new NotebookRunException($"parameter '{key}' is given twice.");
        }
        return result;
    }

    /// <summary>The variables declared at the top level of a parameters cell, in order.</summary>
    public static IReadOnlyList<NotebookParameter> Declared(string cellSource)
    {
        var tree = CSharpSyntaxTree.ParseText(cellSource, CSharpParseOptions.Default.WithKind(SourceCodeKind.Script));
        var declared = new List<NotebookParameter>();
        foreach (var declaration in tree.GetRoot().DescendantNodes().OfType<VariableDeclarationSyntax>())
        {
            // Top level only: a script's `var x = 1;` is a field declaration, a statement-level one a local.
            if (declaration.Parent is not (FieldDeclarationSyntax or LocalDeclarationStatementSyntax)) continue;
            if (declaration.Parent.Parent is not (CompilationUnitSyntax or GlobalStatementSyntax)) continue;
            foreach (var v in declaration.Variables)
            {
                var init = v.Initializer?.Value;
                var type = declaration.Type.IsVar ? LiteralType(init) : declaration.Type.ToString();
                declared.Add(new NotebookParameter(v.Identifier.ValueText, type, init?.ToString() ?? ""));
            }
        }
        return declared;
    }

    /// <summary>
    /// The source of the injected cell: one declaration per override, typed like the default.
    /// </summary>
    /// <param name="declared">What the parameters cell declares.</param>
    /// <param name="overrides">Name to value as given on the command line.</param>
    /// <param name="where">Names the notebook in error messages.</param>
    /// <exception cref="NotebookRunException">An undeclared name (the message lists the declared ones), a value that
    /// does not parse as the parameter's type, or a parameter whose type cannot be set from text.</exception>
    public static string InjectedSource(IReadOnlyList<NotebookParameter> declared, IReadOnlyDictionary<string, string> overrides, string where)
    {
        var lines = new List<string> { "// Parameters injected by the headless runner (overrides of the cell tagged \"parameters\")." };
        foreach (var (name, value) in overrides)
        {
            var p = declared.FirstOrDefault(d => d.Name == name)
                    ?? throw new NotebookRunException(
                        $"{where}: parameter '{name}' is not declared by the cell tagged \"{Tag}\"; declared: " +
                        (declared.Count == 0 ? "(none)" : string.Join(", ", declared.Select(d => d.Name))) + ".");
            lines.Add($"{p.Type} {name} = {Literal(p, value, where)};");
        }
        return string.Join("\n", lines);
    }

    static string Literal(NotebookParameter p, string value, string where)
    {
        string Bad(string expected) => throw new NotebookRunException(
            $"{where}: parameter '{p.Name}' is {expected} (default {p.DefaultExpression}); found '{value}'.");
        var inv = CultureInfo.InvariantCulture;
        return p.Type switch
        {
            "string" => SymbolDisplay.FormatLiteral(value, quote: true),
            "bool" => bool.TryParse(value, out var b) ? (b ? "true" : "false") : Bad("a bool (true or false)"),
            "int" => int.TryParse(value, NumberStyles.Integer, inv, out var i) ? i.ToString(inv) : Bad("an int"),
            "long" => long.TryParse(value, NumberStyles.Integer, inv, out var l) ? l.ToString(inv) + "L" : Bad("a long"),
            "double" => double.TryParse(value, NumberStyles.Float, inv, out var d) && double.IsFinite(d) ? d.ToString("R", inv) + "d" : Bad("a finite double"),
            "float" => float.TryParse(value, NumberStyles.Float, inv, out var f) && float.IsFinite(f) ? f.ToString("R", inv) + "f" : Bad("a finite float"),
            "decimal" => decimal.TryParse(value, NumberStyles.Float, inv, out var m) ? m.ToString(inv) + "m" : Bad("a decimal"),
            _ => Bad($"of type '{p.Type ?? "unknown"}', which cannot be set from text (supported: string, bool, int, long, float, double, decimal)"),
        };
    }

    static string? LiteralType(ExpressionSyntax? init) => init switch
    {
        LiteralExpressionSyntax lit => lit.Token.Value switch
        {
            string => "string",
            bool => "bool",
            int => "int",
            long => "long",
            double => "double",
            float => "float",
            decimal => "decimal",
            _ => null,
        },
        PrefixUnaryExpressionSyntax { OperatorToken.RawKind: (int)SyntaxKind.MinusToken } neg => LiteralType(neg.Operand),
        _ => null,
    };
}

/// <summary>A notebook could not be run as asked: bad path, bad parameter, unsupported cell.</summary>
public sealed class NotebookRunException(string message) : Exception(message);
