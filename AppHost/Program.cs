using CartoSelfHosted.AppHost.Hosting;
using CartoSelfHosted.Platform.Security;

var builder = DistributedApplication.CreateBuilder(args);

var postgresPassword = builder.AddParameter("postgres-password", secret: true);
// The development admin token, until accounts exist: shaped like every API token, handed to accounts-api to store.
var devToken = builder.AddParameter("dev-token", secret: true, generate: ApiTokens.Generate);

var postgres = builder.AddPostgres("postgres", postgresPassword);
var metadata = postgres.AddDatabase("metadata");
var warehouse = postgres.AddDatabase("warehouse");
var redis = builder.AddRedis("redis");
var pubsub = builder.AddPubSubEmulator("pubsub");
// Uploads wait here for import-worker: a folder under the data folder.
var objectStorage = builder.AddObjectStorage("object-storage");

var accountsApi = builder.AddProject("accounts-api", "Apis/AccountsApi")
    .WithReference(metadata).WaitFor(postgres)
    .WithEnvironment("Auth__BootstrapToken", devToken);
var mapsApi = builder.AddProject("maps-api", "Apis/MapsApi")
    .WithReference(metadata).WithReference(warehouse).WithReference(redis).WithReference(pubsub)
    .WaitFor(postgres).WaitFor(redis).WaitFor(pubsub);
var importApi = builder.AddProject("import-api", "Apis/ImportApi")
    .WithReference(metadata).WithReference(warehouse).WithReference(pubsub).WithReference(objectStorage)
    .WaitFor(postgres).WaitFor(pubsub);
var ldsApi = builder.AddProject("lds-api", "Apis/LdsApi")
    .WithReference(metadata).WithReference(warehouse).WaitFor(postgres);

var importWorker = builder.AddProject("import-worker", "Workers/ImportWorker")
    .WithReference(metadata).WithReference(warehouse).WithReference(pubsub).WithReference(objectStorage)
    .WaitFor(postgres).WaitFor(pubsub);
var sqlWorker = builder.AddProject("sql-worker", "Workers/SqlWorker")
    .WithReference(metadata).WithReference(warehouse).WithReference(pubsub).WaitFor(postgres).WaitFor(pubsub);
var workspaceSubscriber = builder.AddProject("workspace-subscriber", "Workers/WorkspaceSubscriber")
    .WithReference(metadata).WithReference(pubsub).WaitFor(postgres).WaitFor(pubsub);
var cdnInvalidator = builder.AddProject("cdn-invalidator", "Workers/CdnInvalidator")
    .WithReference(metadata).WithReference(warehouse).WithReference(redis).WithReference(pubsub).WaitFor(postgres).WaitFor(redis).WaitFor(pubsub);

// workspace-api answers the platform's health, so it knows every other service.
var workspaceApi = builder.AddProject("workspace-api", "Apis/WorkspaceApi")
    .WithReference(metadata).WithReference(warehouse).WithReference(redis).WithReference(pubsub)
    .WithReference(accountsApi).WithReference(mapsApi).WithReference(importApi).WithReference(ldsApi)
    .WithReference(importWorker).WithReference(sqlWorker).WithReference(workspaceSubscriber).WithReference(cdnInvalidator)
    .WaitFor(postgres).WaitFor(redis).WaitFor(pubsub);

var httpCache = builder.AddVarnish("http-cache", "Web/HttpCache/default.vcl.template")
    .WithBackend(mapsApi).WithBackend(workspaceApi);
// cdn-invalidator purges the cache by surrogate key.
cdnInvalidator.WithReference(httpCache);

builder.AddNginx("router-http", "Web/RouterHttp/nginx.conf.template", staticRoot: "Web/RouterHttp/www")
    .WithUpstream(httpCache).WithUpstream(accountsApi).WithUpstream(importApi).WithUpstream(ldsApi)
    .WaitFor(accountsApi).WaitFor(mapsApi).WaitFor(importApi).WaitFor(ldsApi).WaitFor(workspaceApi);

// The dashboard shows what each subscription handled, failed and dead-lettered, from the services' shared records.
builder.ShowMessagingOf(metadata);

builder.Build().Run();
