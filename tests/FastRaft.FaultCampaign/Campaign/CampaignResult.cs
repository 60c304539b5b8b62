namespace FastRaft.FaultCampaign.Campaign;

/// <summary>How a campaign ended.</summary>
internal enum CampaignVerdict
{
    Passed,
    Failed,

    /// <summary>This machine cannot run it (no namespaces, not root, no nftables): nothing was tested.</summary>
    NotRunnable,
}

/// <summary>The verdict, why, the timeline of faults, and counts of what was done.</summary>
internal sealed record CampaignResult(CampaignVerdict Verdict, string Reason, IReadOnlyList<string> Timeline, FaultCounts Faults, string Details)
{
    public bool Passed => Verdict == CampaignVerdict.Passed;
}

/// <summary>Faults the nemesis applied.</summary>
internal sealed record FaultCounts
{
    public int Kills { get; set; }
    public int Pauses { get; set; }
    public int Partitions { get; set; }
    public int LossyLinks { get; set; }
    public int HostileBursts { get; set; }

    public override string ToString() =>
        $"{Kills} kill -9 + restart, {Pauses} SIGSTOP/SIGCONT pauses, {Partitions} partitions, {LossyLinks} lossy links, {HostileBursts} hostile bursts";
}
