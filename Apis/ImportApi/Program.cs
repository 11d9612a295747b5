var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.AddApiDocument("import-api",
    "CARTO's imports: a file (CSV, GeoJSON, zipped Shapefile, GeoPackage, KML, KMZ) or a URL becomes a table of the organization.");

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseApiTokenAuthentication();
app.MapApiDocument();
app.MapImportsApi();

app.Run();
