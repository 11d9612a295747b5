var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.AddApiDocument("workspace-api",
    "What the workspace shows (connections, their datasets, saved maps, search), the platform's health, and the messaging backbone seen from outside.");

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseApiTokenAuthentication();
app.MapApiDocument();
app.MapPlatformHealthApi();
app.MapConnectionsApi();
app.MapCatalogApi();
app.MapSavedMapsApi();
app.MapSearchApi();
app.MapMessagingApi();

app.Run();
