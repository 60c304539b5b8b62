using System.Diagnostics.CodeAnalysis;
using FastRaft.Core;
using FastRaft.Core.Storage;

namespace FastRaft.Benchmarks.Workloads;

/// <summary>Fails loudly: a benchmark that silently measures a refused operation measures nothing.</summary>
public static class BenchCheck
{
    public static void Ok(StorageStatus status)
    {
        if (status != StorageStatus.Ok)
        {
            Fail($"storage answered {status}");
        }
    }

    public static void Ok(StepResult result)
    {
        if (result != StepResult.Ok)
        {
            Fail($"step answered {result}");
        }
    }

    [DoesNotReturn]
    public static void Fail(string what) => throw new InvalidOperationException(what);
}
