namespace CartoSelfHosted.ServiceDefaults.OpenApi;

/// <summary>Where every API publishes its OpenAPI document; the router's reference UI reads each one there.</summary>
public static class ApiDocument
{
    public const string Name = "v1";

    public const string Path = "/openapi/" + Name + ".json";

    /// <summary>The security scheme of the API token, which every operation but the public ones requires.</summary>
    public const string BearerScheme = "bearer";
}
