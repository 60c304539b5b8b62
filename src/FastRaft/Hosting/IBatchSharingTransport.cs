using FastRaft.Protocol;

namespace FastRaft.Hosting;

/// <summary>
/// A transport that can keep a message's memory instead of copying it, when that memory belongs
/// to a pooled <see cref="InboundBatch"/> it may hold: the <see cref="Groups.GroupTransportHub"/>
/// sends its groups' messages, already copied once into such batches, through it, so an
/// in-process transport queues them for their destination without a second copy.
/// </summary>
internal interface IBatchSharingTransport
{
    /// <summary>
    /// Like <see cref="ITransport.Send"/>, except that the views of <paramref name="message"/>
    /// point into <paramref name="owner"/>, which the transport holds (shares) for as long as it
    /// needs them instead of copying them; the caller releases its own hold as usual.
    /// </summary>
    void SendShared(in Message message, InboundBatch owner);
}
