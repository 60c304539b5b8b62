using System.Globalization;
using FastRaft.WalCrashChild;

// The crash test's child process and the WAL's group-commit measurement.
//   crash <directory> <seed>     write under load until killed, reporting what is durable
//   shared-crash <directory> <seed> <groups> <term>   many groups on one shared log, until killed
//   --bench [directory] [seconds] measure group commit: 256 x 16 B entries per Save, synced
return args switch
{
    ["crash", string dir, string seed] => CrashWriter.Run(dir, int.Parse(seed, CultureInfo.InvariantCulture)),
    ["shared-crash", string dir, string seed, string groups, string term] => SharedCrashWriter.Run(
        dir, int.Parse(seed, CultureInfo.InvariantCulture), int.Parse(groups, CultureInfo.InvariantCulture), ulong.Parse(term, CultureInfo.InvariantCulture)),
    ["--bench"] => GroupCommitBench.Run(Path.GetTempPath(), 5),
    ["--bench", string dir] => GroupCommitBench.Run(dir, 5),
    ["--bench", string dir, string seconds] => GroupCommitBench.Run(dir, double.Parse(seconds, CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: FastRaft.WalCrashChild crash <directory> <seed> | shared-crash <directory> <seed> <groups> <term> | --bench [directory] [seconds]");
    return 2;
}
