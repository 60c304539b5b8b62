namespace FastRaft.Sample.Matching;

/// <summary>Why a command was rejected.</summary>
public enum RejectReason : byte
{
    None = 0,

    /// <summary>The bytes are not a command (not MessagePack, wrong shape, trailing bytes...).</summary>
    Malformed = 1,

    /// <summary>Client id 0 is reserved.</summary>
    InvalidClient = 2,

    /// <summary>Sequence numbers start at 1.</summary>
    InvalidSequence = 3,

    /// <summary>The command names an instrument the engine does not trade.</summary>
    UnknownInstrument = 4,

    /// <summary>The side is neither buy nor sell.</summary>
    InvalidSide = 5,

    /// <summary>The order type is neither limit nor market.</summary>
    InvalidOrderType = 6,

    /// <summary>The quantity is zero, negative or above <see cref="MatchingEngine.MaxQuantity"/>.</summary>
    InvalidQuantity = 7,

    /// <summary>A limit price is zero, negative or above <see cref="MatchingEngine.MaxPrice"/>, or a market order has a price.</summary>
    InvalidPrice = 8,

    /// <summary>The order to cancel is not resting on that instrument's book (filled, cancelled or never existed).</summary>
    UnknownOrder = 9,

    /// <summary>The order to cancel belongs to another client.</summary>
    NotOwner = 10,

    /// <summary>The command kind is unknown.</summary>
    UnknownCommand = 11,
}
