var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.AddApiDocument("maps-api",
    "CARTO's Maps API (tables and queries as TileJSON, Mapbox Vector Tiles and GeoJSON) and SQL API (read-only queries, batch jobs).");

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseApiTokenAuthentication();
app.MapApiDocument();
app.MapSqlQueryApi();
app.MapSqlJobsApi();
app.MapWidgetModelApi();
app.MapStatsApi();
app.MapMapInstantiationApi();
app.MapMapTilesApi();

app.Run();
