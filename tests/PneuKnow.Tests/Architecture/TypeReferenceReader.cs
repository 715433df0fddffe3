using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace PneuKnow.Tests.Architecture;

/// <summary>One type of an assembly using another of the same assembly: both named by namespace and outermost type.</summary>
/// <param name="FromNamespace">Namespace of the type whose metadata or code holds the reference.</param>
/// <param name="FromType">That type (the outermost declaring type, so lambdas' closures count as their method's type).</param>
/// <param name="ToNamespace">Namespace of the referenced type.</param>
/// <param name="ToType">The referenced type (outermost declaring type).</param>
public sealed record TypeReference(string FromNamespace, string FromType, string ToNamespace, string ToType);

/// <summary>
/// Reads which types of a compiled assembly refer to which other types of the same assembly, from its metadata
/// rather than its source: <c>using</c> lines say nothing (a type of the enclosing namespace, a fully qualified
/// name or a global using needs none), while the compiled assembly records every type a declaration or a method
/// body names. Sources read: base types and interfaces, generic constraints, field, property, event and method
/// signatures, custom attributes (their constructor's type), and in every method body the locals, the caught
/// exception types and each metadata token of the IL (types, fields, methods and their signatures,
/// generic instantiations, <c>ldtoken</c>, <c>calli</c> signatures).
/// </summary>
/// <remarks>
/// What compiles to no reference stays invisible: constants (a <c>const</c> or enum value is copied in as a
/// literal), <c>nameof</c>, and XML doc <c>cref</c>s. Those bind no behaviour across folders, which is what the
/// dependency rule is about.
/// </remarks>
public static class TypeReferenceReader
{
    /// <summary>Every reference between two types of <paramref name="assemblyPath"/> whose namespaces satisfy <paramref name="include"/>, deduplicated, self-references dropped.</summary>
    public static IReadOnlyList<TypeReference> Read(string assemblyPath, Func<string, bool> include)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var found = new HashSet<TypeReference>();
        foreach (var handle in reader.TypeDefinitions)
        {
            var (fromNs, fromName) = Outermost(reader, handle);
            if (!include(fromNs)) continue;
            var targets = new HashSet<TypeDefinitionHandle>();
            new Collector(reader, pe, targets).VisitType(handle);
            foreach (var target in targets)
            {
                var (toNs, toName) = Outermost(reader, target);
                if (!include(toNs) || (toNs == fromNs && toName == fromName)) continue;
                found.Add(new TypeReference(fromNs, fromName, toNs, toName));
            }
        }
        return found.OrderBy(r => r.FromNamespace, StringComparer.Ordinal).ThenBy(r => r.FromType, StringComparer.Ordinal)
            .ThenBy(r => r.ToNamespace, StringComparer.Ordinal).ThenBy(r => r.ToType, StringComparer.Ordinal).ToList();
    }

    /// <summary>Namespace and name of the outermost type around <paramref name="handle"/> (nested types have no namespace of their own).</summary>
    static (string Namespace, string Name) Outermost(MetadataReader reader, TypeDefinitionHandle handle)
    {
        var type = reader.GetTypeDefinition(handle);
        while (type.IsNested) type = reader.GetTypeDefinition(type.GetDeclaringType());
        var name = reader.GetString(type.Name);
        var tick = name.IndexOf('`');
        return (reader.GetString(type.Namespace), tick < 0 ? name : name[..tick]);
    }

    /// <summary>Walks one type definition and records every type definition of the same module it names.</summary>
    sealed class Collector(MetadataReader reader, PEReader pe, HashSet<TypeDefinitionHandle> sink) : ISignatureTypeProvider<int, object?>
    {
        static readonly Dictionary<short, OpCode> OpCodeByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

        public void VisitType(TypeDefinitionHandle handle)
        {
            var type = reader.GetTypeDefinition(handle);
            Entity(type.BaseType);
            foreach (var i in type.GetInterfaceImplementations()) Entity(reader.GetInterfaceImplementation(i).Interface);
            Attributes(type.GetCustomAttributes());
            GenericParameters(type.GetGenericParameters());
            foreach (var f in type.GetFields())
            {
                var field = reader.GetFieldDefinition(f);
                field.DecodeSignature(this, null);
                Attributes(field.GetCustomAttributes());
            }
            foreach (var p in type.GetProperties())
            {
                var property = reader.GetPropertyDefinition(p);
                property.DecodeSignature(this, null);
                Attributes(property.GetCustomAttributes());
            }
            foreach (var e in type.GetEvents())
            {
                var ev = reader.GetEventDefinition(e);
                Entity(ev.Type);
                Attributes(ev.GetCustomAttributes());
            }
            foreach (var m in type.GetMethods()) VisitMethod(reader.GetMethodDefinition(m));
        }

        void VisitMethod(MethodDefinition method)
        {
            method.DecodeSignature(this, null);
            Attributes(method.GetCustomAttributes());
            GenericParameters(method.GetGenericParameters());
            foreach (var p in method.GetParameters()) Attributes(reader.GetParameter(p).GetCustomAttributes());
            if (method.RelativeVirtualAddress == 0) return;
            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
                reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null);
            foreach (var region in body.ExceptionRegions) Entity(region.CatchType);
            Il(body.GetILReader());
        }

        /// <summary>Steps through the IL instruction by instruction (operand sizes from <see cref="OpCodes"/>) and resolves every metadata token.</summary>
        void Il(BlobReader il)
        {
            while (il.RemainingBytes > 0)
            {
                short value = il.ReadByte();
                if (value == 0xFE) value = (short)(0xFE00 | il.ReadByte());
                if (!OpCodeByValue.TryGetValue(value, out var op))
                    throw new InvalidDataException($"unknown IL opcode 0x{value:X}");
                switch (op.OperandType)
                {
                    case OperandType.InlineNone: break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: il.ReadByte(); break;
                    case OperandType.InlineVar: il.ReadInt16(); break;
                    case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.ShortInlineR or OperandType.InlineString: il.ReadInt32(); break;
                    case OperandType.InlineI8 or OperandType.InlineR: il.ReadInt64(); break;
                    case OperandType.InlineSwitch: { int n = il.ReadInt32(); for (int i = 0; i < n; i++) il.ReadInt32(); break; }
                    case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType or OperandType.InlineSig:
                        Token(il.ReadInt32()); break;
                    default: throw new InvalidDataException($"IL operand type {op.OperandType} not handled");
                }
            }
        }

        void Token(int token)
        {
            var handle = MetadataTokens.EntityHandle(token);
            switch (handle.Kind)
            {
                case HandleKind.StandaloneSignature:
                    var sig = reader.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                    if (sig.GetKind() == StandaloneSignatureKind.Method) sig.DecodeMethodSignature(this, null);
                    else sig.DecodeLocalSignature(this, null);
                    break;
                default: Entity(handle); break;
            }
        }

        /// <summary>Records the types a type, field, method, member reference or method instantiation handle names.</summary>
        void Entity(EntityHandle handle)
        {
            if (handle.IsNil) return;
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition: sink.Add((TypeDefinitionHandle)handle); break;
                case HandleKind.TypeReference: break; // another assembly's type
                case HandleKind.TypeSpecification: reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null); break;
                case HandleKind.FieldDefinition:
                    var field = reader.GetFieldDefinition((FieldDefinitionHandle)handle);
                    sink.Add(field.GetDeclaringType());
                    field.DecodeSignature(this, null);
                    break;
                case HandleKind.MethodDefinition:
                    var method = reader.GetMethodDefinition((MethodDefinitionHandle)handle);
                    sink.Add(method.GetDeclaringType());
                    method.DecodeSignature(this, null);
                    break;
                case HandleKind.MemberReference:
                    var member = reader.GetMemberReference((MemberReferenceHandle)handle);
                    Entity(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method) member.DecodeMethodSignature(this, null);
                    else member.DecodeFieldSignature(this, null);
                    break;
                case HandleKind.MethodSpecification:
                    var spec = reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Entity(spec.Method);
                    spec.DecodeSignature(this, null);
                    break;
                case HandleKind.ModuleReference: break;
                default: throw new InvalidDataException($"metadata handle kind {handle.Kind} not handled");
            }
        }

        void Attributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes) Entity(reader.GetCustomAttribute(a).Constructor);
        }

        void GenericParameters(GenericParameterHandleCollection parameters)
        {
            foreach (var p in parameters)
            {
                var parameter = reader.GetGenericParameter(p);
                Attributes(parameter.GetCustomAttributes());
                foreach (var c in parameter.GetConstraints()) Entity(reader.GetGenericParameterConstraint(c).Type);
            }
        }

        // ISignatureTypeProvider: decoding a signature visits every type in it; the value returned is unused.
        public int GetTypeFromDefinition(MetadataReader r, TypeDefinitionHandle handle, byte rawTypeKind) { sink.Add(handle); return 0; }
        public int GetTypeFromReference(MetadataReader r, TypeReferenceHandle handle, byte rawTypeKind) => 0;
        public int GetTypeFromSpecification(MetadataReader r, object? context, TypeSpecificationHandle handle, byte rawTypeKind)
            => r.GetTypeSpecification(handle).DecodeSignature(this, context);
        public int GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;
        public int GetSZArrayType(int elementType) => 0;
        public int GetArrayType(int elementType, ArrayShape shape) => 0;
        public int GetByReferenceType(int elementType) => 0;
        public int GetPointerType(int elementType) => 0;
        public int GetPinnedType(int elementType) => 0;
        public int GetGenericInstantiation(int genericType, ImmutableArray<int> typeArguments) => 0;
        public int GetGenericMethodParameter(object? context, int index) => 0;
        public int GetGenericTypeParameter(object? context, int index) => 0;
        public int GetFunctionPointerType(MethodSignature<int> signature) => 0;
        public int GetModifiedType(int modifier, int unmodifiedType, bool isRequired) => 0;
    }
}
