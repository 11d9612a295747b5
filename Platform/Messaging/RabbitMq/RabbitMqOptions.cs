using Microsoft.Extensions.Configuration;

namespace CartoSelfHosted.Platform.Messaging.RabbitMq;

/// <summary>Where RabbitMQ is: <c>ConnectionStrings:rabbitmq</c>, an AMQP URI <c>amqp://user:password@host:port/vhost</c>.</summary>
public sealed record RabbitMqOptions(Uri Uri)
{
    public const string ConnectionStringName = "rabbitmq";

    public string Host => Uri.Host;

    /// <summary>The URI's port, else AMQP's: 5671 over TLS (<c>amqps</c>), 5672 without.</summary>
    public ushort Port => Uri.Port > 0 ? (ushort)Uri.Port : Uri.Scheme == "amqps" ? (ushort)5671 : (ushort)5672;

    /// <summary>The path without its slash, decoded; an empty path is RabbitMQ's default virtual host "/".</summary>
    public string VirtualHost => Uri.AbsolutePath.Length > 1 ? Uri.UnescapeDataString(Uri.AbsolutePath[1..]) : "/";

    public string UserName => Uri.UnescapeDataString(Uri.UserInfo.Split(':', 2)[0]);

    public string Password => Uri.UserInfo.Split(':', 2) is [_, var password] ? Uri.UnescapeDataString(password) : "";

    public static RabbitMqOptions FromConfiguration(IConfiguration configuration)
    {
        var value = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"Messaging:Broker is {MessageBrokers.RabbitMq} but ConnectionStrings:{ConnectionStringName} is not set (amqp://user:password@host:port/vhost).");
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps") || string.IsNullOrEmpty(uri.UserInfo))
        {
            // The value holds a password: it is not repeated in the message.
            throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionStringName} is not an AMQP URI with a user (amqp://user:password@host:port/vhost).");
        }
        return new RabbitMqOptions(uri);
    }
}
