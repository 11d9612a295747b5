namespace CartoSelfHosted.AccountsApi.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddApiTokenAuthentication();
    }
}
