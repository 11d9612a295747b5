var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.AddApiDocument("accounts-api", "Who a token speaks for, and the organization's API tokens.");

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseApiTokenAuthentication();
app.MapApiDocument();
app.MapAccountsApi();
app.MapTokensApi();

app.Run();
