using System.ComponentModel;
using PneuKnow.Study;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Reproduce;

/// <summary>Settings of <c>pack</c> and <c>unpack</c>: a study folder holding runs/.</summary>
public sealed class PackSettings : StudyFolderSettings
{
    /// <inheritdoc />
    protected override string Holds => "runs";
}

/// <summary>
/// <c>pneuknow pack</c>: packs a study's finished runs into one Brotli-compressed tar per unit (runs/&lt;unit&gt;/runs.tar.br),
/// the step before committing them (docs/study-design.md, "Committed runs are packed").
/// </summary>
public sealed class PackCommand : Command<PackSettings>
{
    public override int Execute(CommandContext context, PackSettings s, CancellationToken cancellationToken)
    {
        try
        {
            // Under the study's lock: a study still training there would otherwise see a run's files vanish as they are packed.
            using var owned = OutputFolder.Own(s.Study, context, wait: false, cancellationToken);
            foreach (var unit in StudyPack.Pack(s.Study))
                Console.Out.WriteLine($"{unit.Unit}: {unit.Packed.Count} run(s) packed now, {unit.Total} in {PneuKnow.Data.RunPack.FileName} ({unit.PackBytes:N0} bytes)");
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or PneuKnow.Data.DataException or IOException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}

/// <summary><c>pneuknow unpack</c>: writes a study's packed runs back into plain run folders and removes the packs.</summary>
public sealed class UnpackCommand : Command<PackSettings>
{
    public override int Execute(CommandContext context, PackSettings s, CancellationToken cancellationToken)
    {
        try
        {
            using var owned = OutputFolder.Own(s.Study, context, wait: false, cancellationToken);
            Console.Out.WriteLine($"{StudyPack.Unpack(s.Study)} run(s) unpacked in {Path.GetFullPath(s.Study)}");
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or PneuKnow.Data.DataException or IOException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
