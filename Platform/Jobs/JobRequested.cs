using CartoSelfHosted.Platform.Messaging;

namespace CartoSelfHosted.Platform.Jobs;

/// <summary>Asks the worker of the topic it is sent on to run a job; what to do is in the job's record.</summary>
public sealed record JobRequested(Guid JobId, Guid OrganizationId) : IMessage
{
    public static string MessageType => "job-requested";
}
