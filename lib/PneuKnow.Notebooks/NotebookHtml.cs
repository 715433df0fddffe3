using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace PneuKnow.Notebooks;

/// <summary>
/// A static HTML page of an executed notebook, as a reader without a kernel sees it (GitHub, nbviewer, a PDF
/// export): cell sources as preformatted text, outputs as their static representation, preferring
/// <c>image/png</c>, then <c>image/svg+xml</c>, then <c>text/html</c>, then <c>text/plain</c>. No script runs and
/// nothing is loaded from a network, so a chart shows only where the notebook carries it as an image.
/// </summary>
public static class NotebookHtml
{
    /// <summary>The page of the notebook at <paramref name="ipynbPath"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a notebook (no <c>cells</c> array).</exception>
    public static string Convert(string ipynbPath)
    {
        var notebook = JsonNode.Parse(File.ReadAllText(ipynbPath));
        if (notebook?["cells"] is not JsonArray cells) throw new InvalidDataException($"{ipynbPath}: expected a notebook with a \"cells\" array, found none.");
        var sb = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
            .Append(WebUtility.HtmlEncode(Path.GetFileName(ipynbPath)))
            .Append("</title><style>body{font-family:sans-serif;max-width:1100px;margin:auto} pre{background:#f6f6f6;padding:6px;white-space:pre-wrap} img{max-width:100%}</style></head><body>\n");
        foreach (var cell in cells)
        {
            var type = (string?)cell?["cell_type"];
            sb.Append("<pre class=\"").Append(type).Append("\">").Append(WebUtility.HtmlEncode(Text(cell?["source"]))).Append("</pre>\n");
            foreach (var output in cell?["outputs"]?.AsArray() ?? [])
            {
                if (output?["data"] is JsonObject data)
                {
                    if (data["image/png"] is { } png) sb.Append("<img class=\"output\" src=\"data:image/png;base64,").Append(Text(png).Replace("\n", "")).Append("\"/>\n");
                    else if (data["image/svg+xml"] is { } svg) sb.Append("<div class=\"output\">").Append(Text(svg)).Append("</div>\n");
                    else if (data["text/html"] is { } html) sb.Append("<div class=\"output\">").Append(StripScripts(Text(html))).Append("</div>\n");
                    else if (data["text/plain"] is { } plain) sb.Append("<pre class=\"output\">").Append(WebUtility.HtmlEncode(Text(plain))).Append("</pre>\n");
                }
                else if (output?["text"] is { } text) sb.Append("<pre class=\"output\">").Append(WebUtility.HtmlEncode(Text(text))).Append("</pre>\n");
            }
        }
        return sb.Append("</body></html>\n").ToString();
    }

    static string Text(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l ?? "")),
        null => "",
        _ => (string?)node ?? "",
    };

    // A static viewer runs no script (GitHub's does not); neither does this page.
    static string StripScripts(string html) =>
        System.Text.RegularExpressions.Regex.Replace(html, "<script[\\s\\S]*?</script>", "", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
}
