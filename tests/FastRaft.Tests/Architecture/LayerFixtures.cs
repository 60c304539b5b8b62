// Types that stand for a layer and break (or keep) its rule on purpose: LayerRulesTests runs each
// rule over its fixture namespace to prove the rule reports a violation and names the type.
// Nothing else uses them.

namespace FastRaft.Tests.Architecture.Fixtures.ProtocolLayer
{
    /// <summary>Protocol reaching up into the core.</summary>
    public sealed class ProtocolTypeUsingCore
    {
        public FastRaft.Core.RaftConfig? Config { get; init; }
    }

    /// <summary>Allowed: Protocol on itself.</summary>
    public static class ProtocolTypeUsingProtocol
    {
        public static ulong Term(in FastRaft.Protocol.Entry e) => e.Term;
    }
}

namespace FastRaft.Tests.Architecture.Fixtures.CoreLayer
{
    /// <summary>The core calling Diagnostics from a method body (the violation ConfChangeLogText had).</summary>
    public static class CoreTypeCallingDiagnostics
    {
        public static string Quote(ReadOnlySpan<byte> data) => FastRaft.Diagnostics.GoQuote.Quote(data);
    }

    /// <summary>Allowed: the core on Protocol.</summary>
    public static class CoreTypeUsingProtocol
    {
        public static ulong Term(in FastRaft.Protocol.Entry e) => e.Term;
    }
}

namespace FastRaft.Tests.Architecture.Fixtures.CodecLayer
{
    /// <summary>The codec reaching into the core (as it did for EntryBuffer).</summary>
    public sealed class CodecTypeUsingCore
    {
        public FastRaft.Core.Storage.IStorage? Storage { get; init; }
    }

    /// <summary>Allowed: the codec decoding into Protocol's entry buffer.</summary>
    public sealed class CodecTypeUsingEntryBuffer
    {
        public FastRaft.Protocol.EntryBuffer Entries { get; } = new();
    }
}

namespace FastRaft.Tests.Architecture.Fixtures.StorageLayer
{
    /// <summary>Storage using the core's state machine rather than its storage contract.</summary>
    public sealed class StorageTypeUsingRawNode
    {
        public FastRaft.Core.RawNode? Node { get; init; }
    }

    /// <summary>Storage using Hosting.</summary>
    public sealed class StorageTypeUsingHosting
    {
        public FastRaft.Hosting.IStateMachine<int>? StateMachine { get; init; }
    }

    /// <summary>Allowed: the storage contract, the logger front and Protocol.</summary>
    public sealed class StorageTypeUsingContract
    {
        public FastRaft.Core.Storage.IStorage? Storage { get; init; }

        internal FastRaft.Core.Logging.RaftLogger Logger { get; init; } = FastRaft.Core.Logging.RaftLogger.Null;

        public FastRaft.Protocol.EntryBuffer Entries { get; } = new();
    }
}

namespace FastRaft.Tests.Architecture.Fixtures.HostingLayer
{
    /// <summary>Hosting naming a concrete storage outside the builder.</summary>
    public sealed class HostingTypeUsingMemoryStorage
    {
        public FastRaft.Storage.MemoryStorage? Storage { get; init; }
    }

    /// <summary>Allowed: Hosting on the core and the codec.</summary>
    public sealed class HostingTypeUsingCoreAndCodec
    {
        public FastRaft.Core.RawNode? Node { get; init; }

        public FastRaft.Codec.Framing.FramePayloadDecoder? Decoder { get; init; }
    }
}

namespace FastRaft.Tests.Architecture.Fixtures.HostingLayer.Building
{
    /// <summary>Excluded from the Hosting rule (the builder has a rule of its own), though it names a concrete storage.</summary>
    public sealed class BuilderUsingMemoryStorage
    {
        public FastRaft.Storage.MemoryStorage? Storage { get; init; }
    }

    /// <summary>The builder calling Diagnostics.</summary>
    public static class BuilderCallingDiagnostics
    {
        public static string Quote(ReadOnlySpan<byte> data) => FastRaft.Diagnostics.GoQuote.Quote(data);
    }
}
