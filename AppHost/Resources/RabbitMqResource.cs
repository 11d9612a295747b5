using System.Globalization;
using System.Net.Sockets;
using CartoSelfHosted.AppHost.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// RabbitMQ (Debian's rabbitmq-server) as a local process, through <c>scripts/rabbitmq-server.sh run</c>, which knows how
/// to run a broker with all its state in one folder (run as the rabbitmq system user when AppHost is root). Services that
/// reference it get <c>ConnectionStrings__rabbitmq</c>: <c>amqp://carto:&lt;password&gt;@127.0.0.1:port/</c>, vhost <c>/</c>.
/// </summary>
public sealed class RabbitMqServerResource(string name, string script, string workingDirectory, ParameterResource password, string? host)
    : ExecutableResource(name, script, workingDirectory), IResourceWithConnectionString
{
    public const string User = "carto";

    public ParameterResource Password { get; } = password;

    public EndpointReference PrimaryEndpoint => new(this, "tcp");

    /// <summary>
    /// Here the address the broker listens on: Aspire would say <c>localhost</c>, which a client may try as ::1 first,
    /// where nothing listens. The manifest keeps the binding's host, which a deployment fills in.
    /// </summary>
    public ReferenceExpression ConnectionStringExpression => host is null
        ? ReferenceExpression.Create(
            $"amqp://{User}:{Password}@{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}/")
        : ReferenceExpression.Create($"amqp://{User}:{Password}@{host}:{PrimaryEndpoint.Property(EndpointProperty.Port)}/");
}

public static class RabbitMqResourceBuilderExtensions
{
    private const string SystemUser = "rabbitmq";
    private const string Script = "scripts/rabbitmq-server.sh";

    /// <summary>The variable the script reads the password from: a command line is every local user's to read.</summary>
    private const string PasswordVariable = "CARTO_BROKER_PASSWORD";

    public static IResourceBuilder<RabbitMqServerResource> AddRabbitMq(this IDistributedApplicationBuilder builder, LocalPlatform platform,
        string name, IResourceBuilder<ParameterResource> password)
    {
        var port = platform.PortFor(name);
        // As root the broker runs as the rabbitmq user, which must reach its folder (as the postgres user must PostgreSQL's).
        var home = platform.IsPublishing ? platform.PathInData(name) : PostgresResourceBuilderExtensions.Home(platform, name, SystemUser);
        var workingDirectory = platform.IsPublishing ? platform.FolderInData(name) : home;
        var script = platform.IsPublishing ? Script : platform.InRepository(Script);
        var healthCheck = $"{name}-amqp";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheck, _ => new AmqpListensCheck(port), null, null));
        return builder.AddResource(new RabbitMqServerResource(name, script, workingDirectory, password.Resource,
                platform.IsPublishing ? null : LocalPlatform.Host))
            .WithFixedEndpoint("tcp", port)
            .WithArgs("run", home, port.ToString(CultureInfo.InvariantCulture), RabbitMqServerResource.User)
            .WithEnvironment(PasswordVariable, password)
            .WithHealthCheck(healthCheck);
    }
}

/// <summary>
/// Healthy once the broker accepts a TCP connection: RabbitMQ opens its AMQP listener at the very end of its boot. Nothing
/// is sent: a connection closed before AMQP's protocol header is one RabbitMQ does not log, and the check runs every few
/// seconds (one closed after the header is a warning each time).
/// </summary>
internal sealed class AmqpListensCheck(int port) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(LocalPlatform.Host, port, timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}
