using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace PneuKnow.Models.Onnx;

/// <summary>
/// Decodes the subset of <c>onnx.proto</c> described by <see cref="OnnxModel"/> with Google.Protobuf's
/// wire-format reader. Hand-written rather than generated: PneuKnow needs six messages, and
/// no protoc step has to run at build time.
/// </summary>
public static class OnnxReader
{
    /// <summary>Reads an ONNX model file.</summary>
    /// <param name="path">The <c>.onnx</c> file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxFormatException">The file is not a decodable ONNX model; the message names the file, the message type and the byte offset.</exception>
    public static OnnxModel Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model not found: {path}", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Decodes an ONNX model held in memory.</summary>
    /// <param name="bytes">The serialized <c>ModelProto</c>.</param>
    /// <param name="source">Where the bytes came from, for error messages.</param>
    /// <exception cref="OnnxFormatException">The bytes are not a decodable ONNX model.</exception>
    public static OnnxModel Parse(byte[] bytes, string source)
    {
        var input = new CodedInputStream(bytes);
        var reader = new Reader(input, source, bytes.Length);
        try
        {
            return reader.Model();
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException(
                $"{source}: not a valid ONNX protobuf file (corrupt or truncated near byte {input.Position} of {bytes.Length}): {e.Message}", e);
        }
    }

    sealed class Reader(CodedInputStream input, string source, long length)
    {
        // Wire types from the protobuf encoding specification.
        const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

        OnnxFormatException Corrupt(string what) =>
            new($"{source}: not a valid ONNX file: {what} (at byte {input.Position} of {length}).");

        /// <summary>Reads fields until <paramref name="end"/>, handing each tag to <paramref name="field"/>; unknown fields are skipped by the callback returning false.</summary>
        void Fields(long end, string message, Func<int, int, bool> field)
        {
            while (input.Position < end)
            {
                uint tag = input.ReadTag();
                if (tag == 0) throw Corrupt($"zero tag inside {message}");
                int number = WireFormat.GetTagFieldNumber(tag);
                int wire = (int)WireFormat.GetTagWireType(tag);
                if (!field(number, wire)) input.SkipLastField();
            }
            if (input.Position != end) throw Corrupt($"{message} overruns its declared length");
        }

        /// <summary>Reads the length prefix of an embedded message and returns where it ends.</summary>
        long EmbeddedEnd(string message, int wire)
        {
            if (wire != LengthDelimited) throw Corrupt($"{message} has wire type {wire}, expected a length-delimited message");
            int size = input.ReadLength();
            long end = input.Position + size;
            if (size < 0 || end > length) throw Corrupt($"{message} claims {size} bytes but the file ends at byte {length}");
            return end;
        }

        public OnnxModel Model()
        {
            long ir = 0;
            string producer = "", producerVersion = "";
            var opsets = new Dictionary<string, long>();
            OnnxGraph? graph = null;
            Fields(length, "ModelProto", (n, w) =>
            {
                switch (n)
                {
                    case 1 when w == Varint: ir = input.ReadInt64(); return true;
                    case 2 when w == LengthDelimited: producer = input.ReadString(); return true;
                    case 3 when w == LengthDelimited: producerVersion = input.ReadString(); return true;
                    case 7: graph = Graph(EmbeddedEnd("GraphProto", w)); return true;
                    case 8:
                        var (domain, version) = OpsetId(EmbeddedEnd("OperatorSetIdProto", w));
                        opsets[domain] = version;
                        return true;
                    default: return false;
                }
            });
            if (graph is null) throw Corrupt("ModelProto has no graph (field 7)");
            return new OnnxModel(source, ir, producer, producerVersion, opsets, graph);
        }

        (string, long) OpsetId(long end)
        {
            string domain = "";
            long version = 0;
            Fields(end, "OperatorSetIdProto", (n, w) =>
            {
                switch (n)
                {
                    case 1 when w == LengthDelimited: domain = input.ReadString(); return true;
                    case 2 when w == Varint: version = input.ReadInt64(); return true;
                    default: return false;
                }
            });
            return (domain, version);
        }

        OnnxGraph Graph(long end)
        {
            string name = "";
            var nodes = new List<OnnxNode>();
            var initializers = new Dictionary<string, OnnxTensor>();
            var inputs = new List<OnnxValueInfo>();
            var outputs = new List<OnnxValueInfo>();
            Fields(end, "GraphProto", (n, w) =>
            {
                switch (n)
                {
                    case 1: nodes.Add(Node(EmbeddedEnd("NodeProto", w))); return true;
                    case 2 when w == LengthDelimited: name = input.ReadString(); return true;
                    case 5:
                        var t = Tensor(EmbeddedEnd("TensorProto", w));
                        if (!initializers.TryAdd(t.Name, t)) throw Corrupt($"initializer '{t.Name}' appears twice");
                        return true;
                    case 11: inputs.Add(ValueInfo(EmbeddedEnd("ValueInfoProto", w))); return true;
                    case 12: outputs.Add(ValueInfo(EmbeddedEnd("ValueInfoProto", w))); return true;
                    default: return false;
                }
            });
            return new OnnxGraph(name, nodes, initializers, inputs, outputs);
        }

        OnnxNode Node(long end)
        {
            string name = "", op = "";
            var ins = new List<string>();
            var outs = new List<string>();
            var attributes = new Dictionary<string, OnnxAttribute>();
            Fields(end, "NodeProto", (n, w) =>
            {
                switch (n)
                {
                    case 1 when w == LengthDelimited: ins.Add(input.ReadString()); return true;
                    case 2 when w == LengthDelimited: outs.Add(input.ReadString()); return true;
                    case 3 when w == LengthDelimited: name = input.ReadString(); return true;
                    case 4 when w == LengthDelimited: op = input.ReadString(); return true;
                    case 5:
                        var a = Attribute(EmbeddedEnd("AttributeProto", w));
                        attributes[a.Name] = a;
                        return true;
                    default: return false;
                }
            });
            if (op.Length == 0) throw Corrupt($"a NodeProto producing '{(outs.Count > 0 ? outs[0] : "?")}' has no op_type");
            return new OnnxNode(name, op, ins, outs, attributes);
        }

        OnnxAttribute Attribute(long end)
        {
            string name = "";
            float? f = null;
            long? i = null;
            string? s = null;
            var floats = new List<float>();
            var ints = new List<long>();
            Fields(end, "AttributeProto", (n, w) =>
            {
                switch (n)
                {
                    case 1 when w == LengthDelimited: name = input.ReadString(); return true;
                    case 2 when w == Fixed32: f = input.ReadFloat(); return true;
                    case 3 when w == Varint: i = input.ReadInt64(); return true;
                    case 4 when w == LengthDelimited: s = input.ReadBytes().ToStringUtf8(); return true;
                    case 7: Floats(w, floats); return true;
                    case 8: Int64s(w, ints); return true;
                    default: return false;
                }
            });
            return new OnnxAttribute(name, f, i, s, floats, ints);
        }

        OnnxTensor Tensor(long end)
        {
            string name = "";
            int dataType = 0;
            var dims = new List<long>();
            // float_data is normally one packed run; repeated occurrences concatenate.
            var floatChunks = new List<float[]>();
            ByteString? raw = null;
            bool external = false;
            Fields(end, "TensorProto", (n, w) =>
            {
                switch (n)
                {
                    case 1: Int64s(w, dims); return true;
                    case 2 when w == Varint: dataType = input.ReadInt32(); return true;
                    case 4 when w == LengthDelimited: floatChunks.Add(LittleEndianFloats(input.ReadBytes().Span)); return true;
                    case 4 when w == Fixed32: floatChunks.Add([input.ReadFloat()]); return true;
                    case 8 when w == LengthDelimited: name = input.ReadString(); return true;
                    case 9 when w == LengthDelimited: raw = input.ReadBytes(); return true;
                    case 13: external = true; return false;
                    case 14 when w == Varint: external |= input.ReadInt32() == 1; return true;
                    default: return false;
                }
            });
            if (external)
                throw Corrupt($"tensor '{name}' keeps its data in an external file, which PneuKnow does not read");
            float[] values = [];
            if (dataType == OnnxTensor.Float32)
            {
                if (raw is { Length: > 0 })
                {
                    if (raw.Length % 4 != 0) throw Corrupt($"tensor '{name}' has {raw.Length} raw bytes, not a whole number of float32 values");
                    values = LittleEndianFloats(raw.Span);
                }
                else values = floatChunks.Count == 1 ? floatChunks[0] : floatChunks.SelectMany(c => c).ToArray();
            }
            var tensor = new OnnxTensor(name, dims, dataType, values);
            if (dataType == OnnxTensor.Float32 && values.LongLength != tensor.ElementCount)
                throw Corrupt($"tensor '{name}' of shape {tensor.ShapeText} should hold {tensor.ElementCount} values but holds {values.LongLength}");
            return tensor;
        }

        OnnxValueInfo ValueInfo(long end)
        {
            string name = "";
            int elem = 0;
            var shape = new List<long>();
            Fields(end, "ValueInfoProto", (n, w) =>
            {
                switch (n)
                {
                    case 1 when w == LengthDelimited: name = input.ReadString(); return true;
                    case 2: TypeProto(EmbeddedEnd("TypeProto", w), ref elem, shape); return true;
                    default: return false;
                }
            });
            return new OnnxValueInfo(name, elem, shape);
        }

        void TypeProto(long end, ref int elem, List<long> shape)
        {
            int e = 0;
            Fields(end, "TypeProto", (n, w) =>
            {
                if (n != 1) return false;
                long tensorEnd = EmbeddedEnd("TypeProto.Tensor", w);
                Fields(tensorEnd, "TypeProto.Tensor", (tn, tw) =>
                {
                    switch (tn)
                    {
                        case 1 when tw == Varint: e = input.ReadInt32(); return true;
                        case 2: Shape(EmbeddedEnd("TensorShapeProto", tw), shape); return true;
                        default: return false;
                    }
                });
                return true;
            });
            elem = e;
        }

        void Shape(long end, List<long> shape) =>
            Fields(end, "TensorShapeProto", (n, w) =>
            {
                if (n != 1) return false;
                long value = -1;
                Fields(EmbeddedEnd("TensorShapeProto.Dimension", w), "TensorShapeProto.Dimension", (dn, dw) =>
                {
                    if (dn == 1 && dw == Varint) { value = input.ReadInt64(); return true; }
                    return false;
                });
                shape.Add(value);
                return true;
            });

        void Floats(int wire, List<float> into)
        {
            if (wire == Fixed32) into.Add(input.ReadFloat());
            else if (wire == LengthDelimited) into.AddRange(LittleEndianFloats(input.ReadBytes().Span));
            else throw Corrupt($"a float list has wire type {wire}");
        }

        void Int64s(int wire, List<long> into)
        {
            if (wire == Varint) { into.Add(input.ReadInt64()); return; }
            if (wire != LengthDelimited) throw Corrupt($"an int64 list has wire type {wire}");
            int size = input.ReadLength();
            long end = input.Position + size;
            if (end > length) throw Corrupt($"an int64 list claims {size} bytes but the file ends at byte {length}");
            while (input.Position < end) into.Add(input.ReadInt64());
            if (input.Position != end) throw Corrupt("a packed int64 list overruns its declared length");
        }

        float[] LittleEndianFloats(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length % 4 != 0) throw Corrupt($"a packed float list has {bytes.Length} bytes, not a multiple of 4");
            if (BitConverter.IsLittleEndian) return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
            var values = new float[bytes.Length / 4];
            for (int k = 0; k < values.Length; k++)
                values[k] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * k, 4));
            return values;
        }
    }
}
