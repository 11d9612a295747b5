var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRouterServices();

var app = builder.Build();

app.UseRequestIds();
app.UseAccessLog();
app.MapDefaultEndpoints();
app.UseRouterPipeline();

app.Run();
