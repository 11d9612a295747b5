var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseApiTokenAuthentication();
app.MapPlatformHealthApi();
app.MapConnectionsApi();
app.MapMessagingApi();

app.Run();
