namespace CartoSelfHosted.ImportApi.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddApiTokenAuthentication();
        builder.AddJobs();
        builder.AddPubSub();
    }
}
