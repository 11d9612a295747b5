var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseApiTokenAuthentication();
app.MapSqlQueryApi();
app.MapSqlJobsApi();
app.MapMapInstantiationApi();
app.MapMapTilesApi();

app.Run();
