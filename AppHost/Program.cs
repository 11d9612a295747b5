using CartoSelfHosted.AppHost.Hosting;
using CartoSelfHosted.Platform.Security;

var builder = DistributedApplication.CreateBuilder(args);
var platform = LocalPlatform.AddLocalPlatform(builder);

var postgresPassword = platform.AddSecret("postgres-password");

var postgres = builder.AddPostgres(platform, "postgres", postgresPassword);
var metadata = postgres.AddDatabase("metadata");
var warehouse = postgres.AddDatabase("warehouse");
var redis = builder.AddRedis(platform, "redis");
// The Pub/Sub emulator, or RabbitMQ with --Messaging:Broker=rabbitmq: services hand work on through whichever runs.
var broker = builder.AddMessageBroker(platform);
// Uploads wait here for import-worker: a folder under the data folder.
var objectStorage = platform.AddObjectStorage("object-storage");

// Each API and worker runs as --Replicas=N processes (1 by default): the router and the HTTP cache balance across them.
var accountsApi = builder.AddPlatformService<Projects.AccountsApi>(platform, "accounts-api", service => service
    .WithReference(metadata).WaitFor(postgres));
var mapsApi = builder.AddPlatformService<Projects.MapsApi>(platform, "maps-api", service => service
    .WithReference(metadata).WithReference(warehouse).WithReference(redis).WithMessaging(broker)
    .WaitFor(postgres).WaitFor(redis));
var importApi = builder.AddPlatformService<Projects.ImportApi>(platform, "import-api", service => service
    .WithReference(metadata).WithReference(warehouse).WithMessaging(broker).WithReference(objectStorage)
    .WaitFor(postgres));
var ldsApi = builder.AddPlatformService<Projects.LdsApi>(platform, "lds-api", service => service
    .WithReference(metadata).WithReference(warehouse).WaitFor(postgres));

var importWorker = builder.AddPlatformService<Projects.ImportWorker>(platform, "import-worker", service => service
    .WithReference(metadata).WithReference(warehouse).WithMessaging(broker).WithReference(objectStorage)
    .WaitFor(postgres));
var sqlWorker = builder.AddPlatformService<Projects.SqlWorker>(platform, "sql-worker", service => service
    .WithReference(metadata).WithReference(warehouse).WithMessaging(broker).WaitFor(postgres));
var workspaceSubscriber = builder.AddPlatformService<Projects.WorkspaceSubscriber>(platform, "workspace-subscriber", service => service
    .WithReference(metadata).WithReference(warehouse).WithMessaging(broker).WaitFor(postgres));
var cdnInvalidator = builder.AddPlatformService<Projects.CdnInvalidator>(platform, "cdn-invalidator", service => service
    .WithReference(metadata).WithReference(warehouse).WithReference(redis).WithMessaging(broker).WaitFor(postgres).WaitFor(redis));

// workspace-api answers the platform's health, so it knows every other service, each replica by its own name.
var workspaceApi = builder.AddPlatformService<Projects.WorkspaceApi>(platform, "workspace-api", service => service
    .WithReference(metadata).WithReference(warehouse).WithReference(redis).WithMessaging(broker)
    .WithReferenceToEachReplica(accountsApi).WithReferenceToEachReplica(mapsApi).WithReferenceToEachReplica(importApi)
    .WithReferenceToEachReplica(ldsApi).WithReferenceToEachReplica(importWorker).WithReferenceToEachReplica(sqlWorker)
    .WithReferenceToEachReplica(workspaceSubscriber).WithReferenceToEachReplica(cdnInvalidator)
    .WaitFor(postgres).WaitFor(redis))
    .ReferencingOneAnother();

var httpCache = builder.AddVarnish(platform, "http-cache", "Web/HttpCache/default.vcl.template")
    .WithUpstream(mapsApi).WithUpstream(workspaceApi);
// cdn-invalidator purges the cache by surrogate key, and workspace-subscriber purges the catalog listings it renews.
cdnInvalidator.Each(service => service.WithReference(httpCache));
workspaceSubscriber.Each(service => service.WithReference(httpCache));

// The only public port: YARP, with maps-api and workspace-api behind the cache and the other APIs direct. It reaches
// maps-api and workspace-api directly too, for what the cache never keeps (anything but GET and HEAD) and their OpenAPI
// documents (the API reference at /api/docs). It checks the tokens of what goes to the cache against the metadata
// database, as the services do.
var router = builder.AddProject<Projects.RouterHttp>("router-http").AsPlatformService(platform)
    .WithReference(metadata).WithReference(httpCache).WithBalancedReference(accountsApi).WithBalancedReference(importApi)
    .WithBalancedReference(ldsApi).WithBalancedReference(mapsApi).WithBalancedReference(workspaceApi)
    // Aspire has every project trust X-Forwarded-* from anyone; at the edge that would let a caller name the host that
    // services write into their URLs. Behind a load balancer of its own, an installation turns it back on.
    .WithEnvironment("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "false")
    // Socket completions run on the I/O thread, as router-http's Kestrel runs requests (its Extensions say why); read
    // once by .NET at the first socket, so it can only come from the environment.
    .WithEnvironment("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1")
    // Its access log, beside every resource's console log (a deployment keeps it in the router's own folder).
    .WithEnvironment(context =>
    {
        if (!platform.IsPublishing)
        {
            context.EnvironmentVariables["AccessLog__Directory"] = platform.LogsFolder;
        }
    })
    .WaitFor(mapsApi).WaitFor(workspaceApi);

if (!platform.IsPublishing)
{
    // The development admin token, shaped like every API token, which accounts-api stores: for what ./run.sh runs
    // only, never in the manifest of a deployment (accounts-api ignores it outside development anyway).
    var devToken = platform.AddSecret("dev-token", ApiTokens.Generate);
    accountsApi.Each(service => service.WithEnvironment("Auth__BootstrapToken", devToken));
    platform.AnnounceOnStart(router, devToken);
}
if (!platform.CanStart())
{
    return 1;
}
builder.Build().Run();
return 0;
