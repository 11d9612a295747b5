namespace CartoSelfHosted.WorkspaceSubscriber.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddMetadataDatabase();
        builder.AddPubSub();
    }
}
