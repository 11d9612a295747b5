namespace CartoSelfHosted.AccountsApi.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // accounts-api owns the metadata schema (organizations, users, tokens): it applies the migrations.
        builder.AddMetadataMigrations();
        builder.AddApiTokenAuthentication();
    }
}
