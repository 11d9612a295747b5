namespace CartoSelfHosted.Platform.Postgres;

/// <summary>Quotes PostgreSQL identifiers. Values never go through here: they are bound as parameters.</summary>
public static class SqlIdentifier
{
    public static string Quote(string identifier)
    {
        if (string.IsNullOrEmpty(identifier) || identifier.Contains('\0'))
        {
            throw new ArgumentException("An identifier must be non-empty and must not contain NUL.", nameof(identifier));
        }
        return "\"" + identifier.Replace("\"", "\"\"") + "\"";
    }
}
