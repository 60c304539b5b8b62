namespace FastRaft.Sample.Cli;

/// <summary>What the sample binary does.</summary>
public enum SampleMode
{
    /// <summary>Three nodes and a client in one process, with a fail-over half-way (the default).</summary>
    Demo,

    /// <summary>Three nodes in one process with one Raft group per instrument (<c>--instruments N</c>).</summary>
    Instruments,

    /// <summary>One node of a cluster (<c>--node</c>).</summary>
    Node,

    /// <summary>A client sending orders to a cluster (<c>--client</c>).</summary>
    Client,

    /// <summary>A client changing the cluster's membership (<c>--client --add-node</c> or <c>--remove-node</c>).</summary>
    Membership,

    /// <summary>Write a new cluster key file (<c>--gen-key</c>).</summary>
    GenerateKey,

    /// <summary>Print the usage.</summary>
    Help,
}
