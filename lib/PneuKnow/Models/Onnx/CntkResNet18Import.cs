namespace PneuKnow.Models.Onnx;

/// <summary>One weight tensor taken from the ONNX file, named as in <c>CntkResNet18</c>'s state dict.</summary>
/// <param name="Name">State-dict key, torchvision spelling (e.g. <c>layer2.0.downsample.1.running_var</c>).</param>
/// <param name="Shape">Shape.</param>
/// <param name="Values">Row-major float32 values.</param>
/// <param name="OnnxName">Name of the initializer it came from (for error messages).</param>
public sealed record ImportedTensor(string Name, long[] Shape, float[] Values, string OnnxName);

/// <summary>An ONNX file is readable but is not the network PneuKnow expects.</summary>
public sealed class UnexpectedOnnxNetworkException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnexpectedOnnxNetworkException(string message) : base(message) { }
}

/// <summary>
/// Turns ML.NET's <c>ResNet18.onnx</c> (CNTK 2.6, opset 8) into <c>PneuKnow.Models.CntkResNet18</c>'s state
/// dict, and its <c>ResNetPreprocess.onnx</c> into the mean image. It makes no torch calls: it only decodes and checks.
/// </summary>
/// <remarks>
/// The initializer names (<c>Parameter91</c>, <c>Constant98</c>...) carry CNTK's internal ids, which do
/// not follow the layer order, so weights are found by walking the graph from its input: each Conv is
/// followed by the BatchNormalization consuming it, and each Add closes a residual block whose other
/// input is either the block input or a 1×1 Conv + BatchNormalization (the downsample path). Blocks
/// are grouped into stages at each downsample, and everything — stage layout, every shape, stride,
/// pad, epsilon, and that no node or initializer is left over — is compared with
/// <see cref="CntkResNet18Layout"/>; the first difference is reported.
/// </remarks>
public static class CntkResNet18Import
{
    /// <summary>BatchNormalization epsilon of the CNTK network (stored as float32 in the file).</summary>
    public const double BatchNormEpsilon = 1e-5;

    /// <summary>Reads and checks <c>ResNet18.onnx</c>; returns every weight and BatchNorm statistic under its state-dict name.</summary>
    /// <param name="onnxPath">Path of <c>ResNet18.onnx</c>.</param>
    /// <exception cref="OnnxFormatException">The file is not decodable ONNX.</exception>
    /// <exception cref="UnexpectedOnnxNetworkException">The file is ONNX but not the CNTK ResNet18; the message names what differs and where.</exception>
    public static IReadOnlyList<ImportedTensor> ReadWeights(string onnxPath) => Walk(OnnxReader.Read(onnxPath));

    /// <summary>Checks a decoded model against the specification and collects its weights.</summary>
    /// <param name="model">A model decoded by <see cref="OnnxReader"/>.</param>
    /// <exception cref="UnexpectedOnnxNetworkException">The graph differs from the CNTK ResNet18.</exception>
    public static IReadOnlyList<ImportedTensor> Walk(OnnxModel model) => new GraphWalk(model).Run();

    /// <summary>
    /// Reads <c>ResNetPreprocess.onnx</c> and returns its mean image: 3×H×W in BGR order on the 0–255
    /// scale, the one subtracted after the RGB→BGR reordering.
    /// </summary>
    /// <param name="onnxPath">Path of <c>ResNetPreprocess.onnx</c>.</param>
    /// <exception cref="OnnxFormatException">The file is not decodable ONNX.</exception>
    /// <exception cref="UnexpectedOnnxNetworkException">The graph is not Split → Concat(B, G, R) → Sub(mean image).</exception>
    public static (float[] Values, int Height, int Width) ReadMeanImage(string onnxPath)
    {
        var model = OnnxReader.Read(onnxPath);
        var g = model.Graph;
        UnexpectedOnnxNetworkException Unexpected(string what) =>
            new($"{onnxPath}: not ML.NET's ResNet preprocessing graph (Split RGB → Concat BGR → Sub mean image): {what}.");
        string ops = string.Join(" → ", g.Nodes.Select(n => n.OpType));
        if (ops != "Split → Concat → Sub") throw Unexpected($"expected the nodes Split → Concat → Sub, found {ops}");
        var (split, concat, sub) = (g.Nodes[0], g.Nodes[1], g.Nodes[2]);
        if (split.Int("axis", 0) != 1 || split.Outputs.Count != 3)
            throw Unexpected($"Split must cut axis 1 into 3 channels, found axis {split.Int("axis", 0)} into {split.Outputs.Count}");
        if (concat.Int("axis", 0) != 1 || !concat.Inputs.SequenceEqual(split.Outputs.Reverse()))
            throw Unexpected($"Concat must join the Split outputs in reverse order (R, G, B → B, G, R) along axis 1, found [{string.Join(", ", concat.Inputs)}] of [{string.Join(", ", split.Outputs)}]");
        if (sub.Inputs.Count != 2 || sub.Inputs[0] != concat.Outputs[0] || !g.Initializers.TryGetValue(sub.Inputs[1], out var mean))
            throw Unexpected($"Sub must subtract a constant image from the Concat output, found inputs [{string.Join(", ", sub.Inputs)}]");
        if (mean.DataType != OnnxTensor.Float32 || mean.Dims is not [1, 3, var height, var width])
            throw Unexpected($"the mean image '{mean.Name}' must be float32 of shape [1, 3, H, W], found type {mean.DataType} and shape {mean.ShapeText}");
        return (mean.FloatData, (int)height, (int)width);
    }

    sealed class GraphWalk(OnnxModel model)
    {
        readonly OnnxGraph graph = model.Graph;
        readonly Dictionary<string, OnnxNode> producer = Producers(model.Graph);
        readonly Dictionary<string, List<OnnxNode>> consumers = Consumers(model.Graph);
        readonly HashSet<OnnxNode> visited = new(ReferenceEqualityComparer.Instance);
        readonly HashSet<string> usedInitializers = [];
        readonly List<(string Name, OnnxTensor Tensor, long[] Shape, string Role)> pending = [];

        UnexpectedOnnxNetworkException Unexpected(string what) =>
            new($"{model.Path}: not the CNTK ResNet18 of ML.NET's DnnImageFeaturizer (producer '{model.ProducerName} {model.ProducerVersion}'): {what}.");

        static Dictionary<string, OnnxNode> Producers(OnnxGraph g)
        {
            var map = new Dictionary<string, OnnxNode>();
            foreach (var n in g.Nodes) foreach (var o in n.Outputs) map[o] = n;
            return map;
        }

        static Dictionary<string, List<OnnxNode>> Consumers(OnnxGraph g)
        {
            var map = new Dictionary<string, List<OnnxNode>>();
            foreach (var n in g.Nodes)
                foreach (var i in n.Inputs)
                {
                    if (!map.TryGetValue(i, out var list)) map[i] = list = [];
                    list.Add(n);
                }
            return map;
        }

        IReadOnlyList<OnnxNode> ConsumersOf(string value) => consumers.TryGetValue(value, out var l) ? l : [];

        string Describe(IEnumerable<OnnxNode> nodes)
        {
            var text = string.Join(", ", nodes.Select(n => n.Describe()));
            return text.Length == 0 ? "nothing" : text;
        }

        /// <summary>The single node of type <paramref name="op"/> consuming <paramref name="value"/>.</summary>
        OnnxNode Next(string value, string op, string role)
        {
            var found = ConsumersOf(value);
            if (found.Count != 1 || found[0].OpType != op)
                throw Unexpected($"{role}: expected one {op} consuming '{value}', found {Describe(found)}");
            visited.Add(found[0]);
            return found[0];
        }

        public IReadOnlyList<ImportedTensor> Run()
        {
            var dataInputs = graph.Inputs.Where(i => !graph.Initializers.ContainsKey(i.Name)).ToList();
            if (dataInputs.Count != 1)
                throw Unexpected($"expected one image input, found {dataInputs.Count} ({string.Join(", ", dataInputs.Select(i => i.Name))})");
            var image = dataInputs[0];
            if (image.Shape.Count != 4 || image.Shape[1] != 3)
                throw Unexpected($"input '{image.Name}': expected shape [N, 3, H, W], found [{string.Join(", ", image.Shape)}]");

            // Stem.
            var stemConv = Next(image.Name, "Conv", "stem");
            string x = ConvBn("conv1", "bn1", stemConv, 3, CntkResNet18Layout.StemWidth, CntkResNet18Layout.StemKernel, 2);
            x = Next(x, "Relu", "stem").Outputs[0];
            var pool = Next(x, "MaxPool", "stem");
            CheckWindow(pool, "maxpool", 3, 2);
            x = pool.Outputs[0];

            // Residual blocks, grouped into stages at each downsample.
            var stages = new List<int>();
            int width = CntkResNet18Layout.StemWidth;
            while (ConsumersOf(x).All(n => n.OpType != "AveragePool" && n.OpType != "GlobalAveragePool"))
            {
                bool downsample = ConsumersOf(x).Count(n => n.OpType == "Conv") == 2;
                if (stages.Count == 0 || downsample) stages.Add(0);
                int stage = stages.Count, block = stages[^1];
                if (stage > CntkResNet18Layout.BlocksPerStage.Count)
                    throw Unexpected($"expected {CntkResNet18Layout.BlocksPerStage.Count} stages, found a stage {stage} starting at '{x}'");
                int outWidth = CntkResNet18Layout.StageWidths[stage - 1];
                x = Block($"layer{stage}.{block}", x, width, outWidth, downsample);
                width = outWidth;
                stages[^1]++;
            }
            if (!stages.SequenceEqual(CntkResNet18Layout.BlocksPerStage))
                throw Unexpected($"expected blocks per stage [{string.Join(", ", CntkResNet18Layout.BlocksPerStage)}], found [{string.Join(", ", stages)}]");

            // Global average pool, the graph's output.
            if (ConsumersOf(x).Count != 1)
                throw Unexpected($"the last block's output '{x}' should only feed the average pool, found {Describe(ConsumersOf(x))}");
            var avg = ConsumersOf(x)[0];
            visited.Add(avg);
            // A 7×7 AveragePool is global at 224×224, which is what the Head's adaptive pool computes.
            long side = CntkResNet18.ImageSize / 32;
            if (avg.OpType == "AveragePool" && (!avg.Ints("kernel_shape", []).SequenceEqual([side, side]) || avg.Ints("pads", [0, 0, 0, 0]).Any(v => v != 0)))
                throw Unexpected($"the final pool ({avg.Describe()}) should average the whole {side}×{side} map, found kernel [{string.Join(", ", avg.Ints("kernel_shape", []))}], pads [{string.Join(", ", avg.Ints("pads", []))}]");
            if (graph.Outputs.Count != 1 || graph.Outputs[0].Name != avg.Outputs[0])
                throw Unexpected($"expected the average pool '{avg.Outputs[0]}' to be the only graph output, found [{string.Join(", ", graph.Outputs.Select(o => o.Name))}]");

            var leftNodes = graph.Nodes.Where(n => !visited.Contains(n)).ToList();
            if (leftNodes.Count > 0)
                throw Unexpected($"{leftNodes.Count} node(s) outside the ResNet18 structure: {Describe(leftNodes.Take(5))}");
            var leftWeights = graph.Initializers.Keys.Where(k => !usedInitializers.Contains(k)).ToList();
            if (leftWeights.Count > 0)
                throw Unexpected($"{leftWeights.Count} unused initializer(s): {string.Join(", ", leftWeights.Take(5))}");
            return CheckShapes();
        }

        string Block(string prefix, string x, int inWidth, int outWidth, bool downsample)
        {
            var convs = ConsumersOf(x).Where(n => n.OpType == "Conv").ToList();
            var main = convs.Where(c => Kernel(c) == 3).ToList();
            if (main.Count != 1)
                throw Unexpected($"{prefix}: expected one 3×3 Conv reading the block input '{x}', found {Describe(convs)}");
            visited.Add(main[0]);
            int stride = downsample ? 2 : 1;
            string y = ConvBn($"{prefix}.conv1", $"{prefix}.bn1", main[0], inWidth, outWidth, 3, stride);
            y = Next(y, "Relu", prefix).Outputs[0];
            y = ConvBn($"{prefix}.conv2", $"{prefix}.bn2", Next(y, "Conv", prefix), outWidth, outWidth, 3, 1);
            var add = Next(y, "Add", prefix);
            if (add.Inputs.Count != 2) throw Unexpected($"{prefix}: {add.Describe()} should have 2 inputs, found {add.Inputs.Count}");
            string shortcut = add.Inputs[0] == y ? add.Inputs[1] : add.Inputs[0];

            if (downsample)
            {
                var projection = convs.Single(c => c != main[0]);
                visited.Add(projection);
                string p = ConvBn($"{prefix}.downsample.0", $"{prefix}.downsample.1", projection, inWidth, outWidth, 1, 2);
                if (shortcut != p) throw Unexpected($"{prefix}: the Add should sum the main path and the 1×1 projection '{p}', found '{shortcut}'");
            }
            else
            {
                if (inWidth != outWidth) throw Unexpected($"{prefix}: the block widens {inWidth} → {outWidth} channels but has no 1×1 projection");
                if (shortcut != x) throw Unexpected($"{prefix}: the Add should sum the main path and the block input '{x}', found '{shortcut}'");
                var readers = ConsumersOf(x);
                if (readers.Count != 2) throw Unexpected($"{prefix}: the block input '{x}' should feed the main Conv and the Add only, found {Describe(readers)}");
            }
            return Next(add.Outputs[0], "Relu", prefix).Outputs[0];
        }

        static long Kernel(OnnxNode conv) => conv.Ints("kernel_shape", []) is [var h, var w] && h == w ? h : -1;

        /// <summary>Checks a Conv and its BatchNormalization, records their tensors, returns the BN output.</summary>
        string ConvBn(string convName, string bnName, OnnxNode conv, int inWidth, int outWidth, int kernel, int stride)
        {
            if (conv.Inputs.Count != 2)
                throw Unexpected($"{convName}: {conv.Describe()} should have input and weight only (no bias), found {conv.Inputs.Count} inputs");
            if (conv.Int("group", 1) != 1) throw Unexpected($"{convName}: expected group 1, found {conv.Int("group", 1)}");
            if (conv.Ints("dilations", [1, 1]).Any(d => d != 1)) throw Unexpected($"{convName}: expected dilations [1, 1], found [{string.Join(", ", conv.Ints("dilations", []))}]");
            CheckWindow(conv, convName, kernel, stride);
            Record($"{convName}.weight", conv.Inputs[1], [outWidth, inWidth, kernel, kernel], convName);

            var bn = Next(conv.Outputs[0], "BatchNormalization", convName);
            if (bn.Inputs.Count != 5) throw Unexpected($"{bnName}: {bn.Describe()} should have 5 inputs, found {bn.Inputs.Count}");
            double eps = bn.Float("epsilon", 1e-5f);
            if (Math.Abs(eps - BatchNormEpsilon) > 1e-9)
                throw Unexpected($"{bnName}: expected epsilon {BatchNormEpsilon:R}, found {eps:R}");
            if (bn.Int("spatial", 1) != 1) throw Unexpected($"{bnName}: expected spatial (per-channel) BatchNormalization, found spatial={bn.Int("spatial", 1)}");
            string[] parts = ["weight", "bias", "running_mean", "running_var"];
            for (int k = 0; k < 4; k++) Record($"{bnName}.{parts[k]}", bn.Inputs[k + 1], [outWidth], bnName);
            return bn.Outputs[0];
        }

        void CheckWindow(OnnxNode node, string role, int kernel, int stride)
        {
            var expectedKernel = new long[] { kernel, kernel };
            var expectedStride = new long[] { stride, stride };
            // The file stores explicit pads [top, left, bottom, right] computed for 224×224 "same" padding:
            // begin = k/2, end = max(0, k - stride - k/2). CntkResNet18 pads symmetrically by k/2, which is
            // the same computation whenever the input to a strided layer has an even size.
            long begin = kernel / 2, end = Math.Max(0, kernel - stride - kernel / 2);
            var expectedPads = new long[] { begin, begin, end, end };
            var k = node.Ints("kernel_shape", []);
            var s = node.Ints("strides", [1, 1]);
            var p = node.Ints("pads", [0, 0, 0, 0]);
            if (!k.SequenceEqual(expectedKernel) || !s.SequenceEqual(expectedStride) || !p.SequenceEqual(expectedPads))
                throw Unexpected($"{role} ({node.Describe()}): expected kernel [{string.Join(", ", expectedKernel)}], strides [{string.Join(", ", expectedStride)}], pads [{string.Join(", ", expectedPads)}]; found kernel [{string.Join(", ", k)}], strides [{string.Join(", ", s)}], pads [{string.Join(", ", p)}]");
            var autoPad = node.String("auto_pad", "NOTSET");
            if (autoPad != "NOTSET") throw Unexpected($"{role}: expected explicit pads (auto_pad NOTSET), found auto_pad {autoPad}");
        }

        void Record(string name, string initializer, long[] shape, string role)
        {
            if (!graph.Initializers.TryGetValue(initializer, out var t))
                throw Unexpected($"{name}: '{initializer}' should be a constant (initializer) but is computed by {(producer.TryGetValue(initializer, out var n) ? n.Describe() : "nothing")}");
            if (t.DataType != OnnxTensor.Float32)
                throw Unexpected($"{name} ({role}, initializer '{initializer}'): expected float32 (type 1), found type {t.DataType}");
            if (!usedInitializers.Add(initializer))
                throw Unexpected($"{name}: initializer '{initializer}' is shared with another layer");
            pending.Add((name, t, shape, role));
        }

        /// <summary>Shapes are checked after the layout, so a network of another depth is reported as such rather than by its first odd shape.</summary>
        IReadOnlyList<ImportedTensor> CheckShapes()
        {
            var wrong = pending.Where(p => !p.Tensor.Dims.SequenceEqual(p.Shape)).ToList();
            if (wrong.Count > 0)
                throw Unexpected($"{wrong.Count} weight(s) of the wrong shape, first: " + string.Join("; ", wrong.Take(3).Select(p =>
                    $"{p.Name} ({p.Role}, initializer '{p.Tensor.Name}') expected [{string.Join(", ", p.Shape)}], found {p.Tensor.ShapeText}")));
            return pending.Select(p => new ImportedTensor(p.Name, p.Shape, p.Tensor.FloatData, p.Tensor.Name)).ToList();
        }
    }
}
