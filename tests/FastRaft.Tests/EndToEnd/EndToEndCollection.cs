namespace FastRaft.Tests.EndToEnd;

/// <summary>
/// End-to-end clusters run one at a time, after the parallel tests: each keeps several node and
/// socket threads busy, which would slow the other tests down, disturb their single-thread
/// allocation gates, and stretch election timings on a two-core machine.
/// </summary>
[CollectionDefinition(nameof(EndToEndCollection), DisableParallelization = true)]
public sealed class EndToEndCollection;
