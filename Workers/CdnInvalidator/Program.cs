var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

// A worker's only HTTP surface is its health: the orchestrator and the platform health endpoint ask it.
app.MapDefaultEndpoints();

app.Run();
