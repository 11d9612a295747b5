var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.AddApiDocument("accounts-api", "Sign-up, sign-in and sessions, the organization's users and invitations, and its API tokens.");

var app = builder.Build();

app.UseForwardedHeaders();
app.UseTokenIdsInPaths();
app.MapDefaultEndpoints();
app.UseApiTokenAuthentication();
app.UseRateLimiter();
app.MapApiDocument();
app.MapAccountsApi();
app.MapSessionsApi();
app.MapInvitationsApi();
app.MapPasswordResetsApi();
app.MapUsersApi();
app.MapSettingsApi();
app.MapTokensApi();

app.Run();
