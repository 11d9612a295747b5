var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.AddApiDocument("lds-api",
    "Location data services from open data inside the installation: place-level geocoding (single and batch) and reverse geocoding " +
    "on a GeoNames gazetteer with Natural Earth regions; routing and isolines by car and on foot on an OpenStreetMap road network " +
    "(pgRouting).");

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseApiTokenAuthentication();
app.MapApiDocument();
app.MapGeocodingApi();
app.MapRoutingApi();
app.MapRoadNetworkApi();
app.MapQuotaApi();

app.Run();
