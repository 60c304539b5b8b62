namespace FastRaft.Sample.Cli;

/// <summary>What a node does when its storage is empty (<c>--init</c>, <c>--join</c>).</summary>
public enum NodeStart
{
    /// <summary>Neither flag: the node must find a log in its data directory (a restart); an empty one is refused.</summary>
    Existing,

    /// <summary><c>--init</c>: bootstrap a new cluster whose voters are the nodes in <c>--peers</c>.</summary>
    Init,

    /// <summary><c>--join</c>: start with no configuration and wait to be added by a membership change.</summary>
    Join,
}
