namespace PneuKnow.Models.Onnx;

/// <summary>
/// The part of an ONNX <c>ModelProto</c> that PneuKnow reads: enough to import the weights of a
/// convolutional network and to check that its graph is the one expected. Field numbers follow
/// <c>onnx.proto</c>; everything else in the file is skipped.
/// </summary>
/// <param name="Path">The file it was read from (for error messages).</param>
/// <param name="IrVersion">ONNX IR version.</param>
/// <param name="ProducerName">Tool that wrote the file, e.g. <c>CNTK</c>.</param>
/// <param name="ProducerVersion">Version of that tool.</param>
/// <param name="OpsetImports">Operator sets used, domain (empty = default ONNX domain) to version.</param>
/// <param name="Graph">The main graph.</param>
public sealed record OnnxModel(
    string Path,
    long IrVersion,
    string ProducerName,
    string ProducerVersion,
    IReadOnlyDictionary<string, long> OpsetImports,
    OnnxGraph Graph);

/// <summary>An ONNX <c>GraphProto</c>: nodes in the file's (topological) order and the constant tensors.</summary>
/// <param name="Name">Graph name.</param>
/// <param name="Nodes">Operators in file order.</param>
/// <param name="Initializers">Constant tensors (the weights) by name.</param>
/// <param name="Inputs">Declared graph inputs (ONNX IR 3 also lists initializers here).</param>
/// <param name="Outputs">Declared graph outputs.</param>
public sealed record OnnxGraph(
    string Name,
    IReadOnlyList<OnnxNode> Nodes,
    IReadOnlyDictionary<string, OnnxTensor> Initializers,
    IReadOnlyList<OnnxValueInfo> Inputs,
    IReadOnlyList<OnnxValueInfo> Outputs);

/// <summary>An ONNX <c>NodeProto</c>: one operator application.</summary>
/// <param name="Name">Node name (often empty).</param>
/// <param name="OpType">Operator, e.g. <c>Conv</c>.</param>
/// <param name="Inputs">Names of the values consumed, in operator order.</param>
/// <param name="Outputs">Names of the values produced.</param>
/// <param name="Attributes">Attributes by name.</param>
public sealed record OnnxNode(
    string Name,
    string OpType,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    /// <summary>A readable identification for error messages: op type, name if any, first output.</summary>
    public string Describe() =>
        $"{OpType} node{(Name.Length > 0 ? $" '{Name}'" : "")} producing '{(Outputs.Count > 0 ? Outputs[0] : "?")}'";

    /// <summary>An integer-list attribute, or <paramref name="fallback"/> when absent.</summary>
    public IReadOnlyList<long> Ints(string name, IReadOnlyList<long> fallback) =>
        Attributes.TryGetValue(name, out var a) ? a.Ints : fallback;

    /// <summary>An integer attribute, or <paramref name="fallback"/> when absent.</summary>
    public long Int(string name, long fallback) =>
        Attributes.TryGetValue(name, out var a) && a.Int is { } i ? i : fallback;

    /// <summary>A float attribute, or <paramref name="fallback"/> when absent.</summary>
    public float Float(string name, float fallback) =>
        Attributes.TryGetValue(name, out var a) && a.Float is { } f ? f : fallback;

    /// <summary>A string attribute, or <paramref name="fallback"/> when absent.</summary>
    public string String(string name, string fallback) =>
        Attributes.TryGetValue(name, out var a) && a.String is { } s ? s : fallback;
}

/// <summary>An ONNX <c>AttributeProto</c> restricted to scalar and list values (tensor and graph attributes are skipped).</summary>
/// <param name="Name">Attribute name.</param>
/// <param name="Float">The <c>f</c> field, when present.</param>
/// <param name="Int">The <c>i</c> field, when present.</param>
/// <param name="String">The <c>s</c> field decoded as UTF-8, when present.</param>
/// <param name="Floats">The <c>floats</c> list.</param>
/// <param name="Ints">The <c>ints</c> list.</param>
public sealed record OnnxAttribute(
    string Name,
    float? Float,
    long? Int,
    string? String,
    IReadOnlyList<float> Floats,
    IReadOnlyList<long> Ints);

/// <summary>An ONNX <c>TensorProto</c> holding float32 data, from either <c>float_data</c> or <c>raw_data</c>.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Dims">Shape.</param>
/// <param name="DataType">ONNX element type code (1 = float32, the only one whose values are decoded).</param>
/// <param name="FloatData">The values in row-major order; empty when the type is not float32.</param>
public sealed record OnnxTensor(string Name, IReadOnlyList<long> Dims, int DataType, float[] FloatData)
{
    /// <summary>ONNX's element type code for float32.</summary>
    public const int Float32 = 1;

    /// <summary>Number of elements the shape calls for.</summary>
    public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>The shape written like <c>[64, 3, 7, 7]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Dims) + "]";
}

/// <summary>An ONNX <c>ValueInfoProto</c> for a tensor: name, element type and shape (symbolic dimensions as -1).</summary>
/// <param name="Name">Value name.</param>
/// <param name="ElementType">ONNX element type code, 0 when not given.</param>
/// <param name="Shape">Dimensions; -1 for a symbolic or missing dimension.</param>
public sealed record OnnxValueInfo(string Name, int ElementType, IReadOnlyList<long> Shape);

/// <summary>An ONNX file could not be decoded (truncated, not protobuf, or missing required parts).</summary>
public sealed class OnnxFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OnnxFormatException(string message, Exception? inner = null) : base(message, inner) { }
}
