var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.AddApiDocument("lds-api",
    "Location data services: geocoding, reverse geocoding, routing and isolines. None is served yet: they come with their issue.");

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseApiTokenAuthentication();
app.MapApiDocument();

app.Run();
