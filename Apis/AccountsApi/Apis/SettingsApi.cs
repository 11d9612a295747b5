using System.ComponentModel;
using System.Security.Claims;
using CartoSelfHosted.AccountsApi.Accounts;
using CartoSelfHosted.Platform.Security;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.AccountsApi.Apis;

/// <summary>
/// The installation's settings, which the admins of its first organization (the one the first sign-up took) manage:
/// an admin of an organization that signed up later manages that organization, not the installation.
/// </summary>
public static class SettingsApi
{
    public static IEndpointRouteBuilder MapSettingsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3/accounts/settings").WithTags("Settings").RequireAuthorization(PlatformPolicies.Administer);
        api.MapGet("", GetSettings)
            .WithSummary("The installation's settings")
            .WithDescription("`signUpOpen`: whether anyone may sign up (each sign-up then makes an organization of its own).")
            .Produces<InstallationSettings>()
            .WithProblem(StatusCodes.Status403Forbidden, PlatformPolicies.NotInstallationAdmin);
        api.MapPatch("", ChangeSettings)
            .WithSummary("Change the installation's settings")
            .WithDescription("Opens or closes sign-up (`signUpOpen`). The answer is the settings as they are now.")
            .Produces<InstallationSettings>()
            .WithProblem(StatusCodes.Status400BadRequest, "No body, or no `signUpOpen`.")
            .WithProblem(StatusCodes.Status403Forbidden, PlatformPolicies.NotInstallationAdmin);
        return app;
    }

    public static async Task<IResult> GetSettings(ClaimsPrincipal user, AccountStore accounts, CancellationToken cancellationToken) =>
        !user.IsOfFirstOrganization()
            ? ProblemResults.Forbidden(PlatformPolicies.NotInstallationAdmin)
            : TypedResults.Ok(new InstallationSettings(await accounts.IsSignUpOpenAsync(cancellationToken)));

    public static async Task<IResult> ChangeSettings(SettingsChange body, ClaimsPrincipal user, AccountStore accounts,
        CancellationToken cancellationToken)
    {
        if (!user.IsOfFirstOrganization())
        {
            return ProblemResults.Forbidden(PlatformPolicies.NotInstallationAdmin);
        }
        if (body.SignUpOpen is not { } open)
        {
            return ProblemResults.BadRequest("Nothing to change", "signUpOpen (true or false) is the setting to change.");
        }
        await accounts.SetSignUpOpenAsync(open, cancellationToken);
        return TypedResults.Ok(new InstallationSettings(open));
    }
}

public sealed record InstallationSettings([property: Description("Whether anyone may sign up.")] bool SignUpOpen);

public sealed record SettingsChange([property: Description("Open (true) or close (false) sign-up.")] bool? SignUpOpen);
