using CartoSelfHosted.AccountsApi.Accounts;
using Microsoft.AspNetCore.HttpOverrides;

namespace CartoSelfHosted.AccountsApi.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // accounts-api owns the metadata schema (organizations, users, tokens): it applies the migrations.
        builder.AddMetadataMigrations();
        builder.AddApiTokenAuthentication();
        if (!builder.Environment.IsDevelopment())
        {
            // After the migrations (AddMetadataMigrations above), so the table exists when it runs.
            builder.Services.AddHostedService<DevelopmentTokenRetirement>();
        }

        builder.Services.AddOptions<AccountsOptions>().BindConfiguration(AccountsOptions.Section)
            .Validate(accounts => string.IsNullOrWhiteSpace(accounts.Smtp.Host) || MimeKit.MailboxAddress.TryParse(accounts.Smtp.From, out _),
                "Accounts:Smtp:Host is set, so Accounts:Smtp:From must be the address links are sent from.")
            .ValidateOnStart();
        builder.Services.AddSingleton<AccountStore>();
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddSingleton<AccessTokenStore>();
        builder.Services.AddSingleton<AccountLinks>();
        builder.Services.AddSingleton<LinkMail>();
        builder.Services.AddHostedService(services => services.GetRequiredService<LinkMail>());
        builder.Services.AddSingleton<Passwords>();
        builder.Services.AddSingleton<SignInThrottle>();
        builder.Services.AddAccountsRateLimits();
        // Behind the router: the client's address (for rate limits), scheme (Secure cookies) and host (links) are the
        // router's X-Forwarded-* headers, believed from loopback proxies only (the default KnownProxies).
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost);
    }
}
