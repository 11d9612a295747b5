using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace CartoSelfHosted.Platform.Metadata.DataProtection;

/// <summary>
/// ASP.NET Core Data Protection's key ring in the metadata database (<c>data_protection_keys</c>), so every service and
/// replica decrypts what another encrypted. Data Protection ships repositories for files, the registry, Redis and
/// EF Core only; we use none of those for durable state, and this interface is its documented extension point.
/// Data Protection calls it synchronously, rarely: at start, when it makes a key, and when its cached ring expires.
/// </summary>
internal sealed class MetadataXmlRepository(MetadataDatabase metadata) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var command = metadata.DataSource.CreateCommand("SELECT xml FROM data_protection_keys ORDER BY created_at, friendly_name");
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
        {
            elements.Add(XElement.Parse(reader.GetString(0)));
        }
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        // A key is never rewritten: its friendly name is the key's id, so a second store of it changes nothing.
        using var command = metadata.DataSource.CreateCommand(
            "INSERT INTO data_protection_keys (friendly_name, xml) VALUES ($1, $2) ON CONFLICT (friendly_name) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter { Value = friendlyName });
        command.Parameters.Add(new NpgsqlParameter { Value = element.ToString(SaveOptions.DisableFormatting) });
        command.ExecuteNonQuery();
    }
}
