using System.Text.Json;
using System.Text.RegularExpressions;
using CartoSelfHosted.Platform.Imports;
using CartoSelfHosted.Platform.ObjectStorage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using CartoSelfHosted.ServiceDefaults.Problems;

namespace CartoSelfHosted.ImportApi.Imports;

/// <summary>
/// What a client sent to start an import: either a multipart form with the <c>file</c> (streamed straight into
/// object storage, never held in memory) and the options as form fields, or JSON with a <c>url</c> and the options.
/// </summary>
internal sealed partial class ImportSubmission
{
    private const int MaxFieldLength = 64 * 1024;

    public string? FileName { get; private set; }

    public long? FileSize { get; private set; }

    public string? Url { get; private set; }

    public string Connection { get; private set; } = Platform.Warehouse.WarehouseDatabase.BuiltInConnectionName;

    public string? Destination { get; private set; }

    public bool Overwrite { get; private set; }

    public bool Autoguessing { get; private set; } = true;

    public Dictionary<string, string>? ColumnTypes { get; private set; }

    /// <summary>
    /// Reads the request; a file goes to <paramref name="storageKey"/>. Returns the submission, or the problem that
    /// refuses it (then nothing is left in storage). A store that fails throws its <see cref="ObjectStorageException"/>.
    /// </summary>
    public static async Task<(ImportSubmission? Submission, IResult? Problem)> ReadAsync(HttpRequest request, string storageKey,
        IObjectStorage storage, ImportOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var submission = new ImportSubmission();
        try
        {
            var problem = request.HasJsonContentType()
                ? await submission.ReadJsonAsync(request, cancellationToken)
                : MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
                    ? await submission.ReadMultipartAsync(request, type, storageKey, storage, options, cancellationToken)
                    : ProblemResults.BadRequest("No file or URL",
                        "Send the file as multipart/form-data (a part named 'file'), or JSON with a 'url'.");
            if (problem is null && (submission.FileName is null) == (submission.Url is null))
            {
                problem = ProblemResults.BadRequest("No file or URL", "An import takes one file (multipart part 'file') or one 'url', not both.");
            }
            if (problem is not null)
            {
                await storage.DeleteOrWarnAsync(storageKey, logger);
                return (null, problem);
            }
            return (submission, null);
        }
        catch
        {
            await storage.DeleteOrWarnAsync(storageKey, logger);
            throw;
        }
    }

    private async Task<IResult?> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonElement body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException ex)
        {
            return ProblemResults.BadRequest("Invalid JSON", ex.Message);
        }
        if (body.ValueKind != JsonValueKind.Object)
        {
            return ProblemResults.BadRequest("Invalid JSON", "The body is a JSON object with a 'url'.");
        }
        foreach (var member in body.EnumerateObject())
        {
            var value = member.Value.ValueKind switch
            {
                JsonValueKind.String => member.Value.GetString()!,
                JsonValueKind.Null => null,
                _ => member.Value.GetRawText(),
            };
            if (value is not null && Set(member.Name, value) is { } problem)
            {
                return problem;
            }
        }
        return null;
    }

    private async Task<IResult?> ReadMultipartAsync(HttpRequest request, MediaTypeHeaderValue type, string storageKey,
        IObjectStorage storage, ImportOptions options, CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
        {
            return ProblemResults.BadRequest("Invalid form", "The multipart body has no boundary.");
        }
        var reader = new MultipartReader(boundary, request.Body);
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
            {
                continue;
            }
            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
            if (disposition.IsFileDisposition())
            {
                if (name != "file" || FileName is not null)
                {
                    return ProblemResults.BadRequest("Invalid form", "The form carries one file, in the part named 'file'.");
                }
                FileName = Path.GetFileName(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value) ?? "upload";
                try
                {
                    FileSize = await storage.PutAsync(storageKey, section.Body, options.MaxFileBytes, cancellationToken);
                }
                catch (ObjectTooLargeException)
                {
                    return ImportProblems.TooLarge(options.MaxFileBytes);
                }
                continue;
            }
            using var text = new StreamReader(section.Body);
            var buffer = new char[MaxFieldLength + 1];
            var length = await text.ReadBlockAsync(buffer, cancellationToken);
            if (length > MaxFieldLength)
            {
                return ProblemResults.BadRequest("Invalid form", $"The field '{name}' is longer than {MaxFieldLength} characters.");
            }
            if (Set(name, new string(buffer, 0, length)) is { } problem)
            {
                return problem;
            }
        }
        return null;
    }

    private IResult? Set(string name, string value)
    {
        switch (name)
        {
            case "url":
                Url = value;
                return null;
            case "connection":
                Connection = value;
                return null;
            case "destination":
                Destination = value.Trim().Length == 0 ? null : value.Trim();
                return null;
            case "overwrite":
                return ParseBoolean(name, value, flag => Overwrite = flag);
            case "autoguessing":
                return ParseBoolean(name, value, flag => Autoguessing = flag);
            case "schema":
                return ParseSchema(value);
            default:
                // Other fields (CARTO clients send a few of their own) are ignored, as CARTO does.
                return null;
        }
    }

    private static IResult? ParseBoolean(string name, string value, Action<bool> set)
    {
        if (!bool.TryParse(value.Trim(), out var flag))
        {
            return ProblemResults.BadRequest($"Invalid {name}", $"{name} is true or false, not '{value}'.");
        }
        set(flag);
        return null;
    }

    /// <summary>Column types by source field: a JSON object (<c>{"population": "integer"}</c>) or array (<c>[{"name": …, "type": …}]</c>).</summary>
    private IResult? ParseSchema(string value)
    {
        var invalid = ProblemResults.BadRequest("Invalid schema",
            $"schema names a type per column, as {{\"column\": \"type\"}} or [{{\"name\": \"column\", \"type\": \"type\"}}]; the types are {ColumnTypeNames.Accepted}.");
        JsonElement schema;
        try
        {
            schema = JsonSerializer.Deserialize<JsonElement>(value);
        }
        catch (JsonException)
        {
            return invalid;
        }
        var types = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var pairs = schema.ValueKind switch
        {
            JsonValueKind.Object => schema.EnumerateObject().Select(member => (member.Name, member.Value)).ToList(),
            JsonValueKind.Array => schema.EnumerateArray()
                .Select(column => column.ValueKind == JsonValueKind.Object && column.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                    && column.TryGetProperty("type", out var t) ? (n.GetString()!, t) : ("", default))
                .ToList(),
            _ => null,
        };
        if (pairs is null)
        {
            return invalid;
        }
        foreach (var (column, type) in pairs)
        {
            if (column.Length == 0 || type.ValueKind != JsonValueKind.String || !ColumnTypeNames.TryParse(type.GetString()!, out _))
            {
                return invalid;
            }
            types[column] = type.GetString()!;
        }
        ColumnTypes = types;
        return null;
    }

    /// <summary>
    /// The destination as schema and table: <c>table</c> or <c>schema.table</c>, in the organization's own schema,
    /// named as a plain PostgreSQL identifier (or derived from the file's name).
    /// </summary>
    public (string Schema, string Table)? ResolveDestination(string organizationSchema, out IResult? problem)
    {
        problem = null;
        var destination = Destination ?? ColumnNamer.TableName(FileName ?? Path.GetFileName(new Uri(Url!).AbsolutePath));
        var parts = destination.Split('.');
        var (schema, table) = parts.Length switch
        {
            1 => (organizationSchema, parts[0]),
            2 => (parts[0], parts[1]),
            _ => (null, null),
        };
        if (schema is null || table is null || !PlainIdentifier().IsMatch(table))
        {
            problem = ProblemResults.BadRequest("Invalid destination",
                $"destination is a table name, optionally after the schema ('table' or '{organizationSchema}.table'): lower-case letters, digits and underscores, " +
                $"starting with a letter or underscore, at most 63 characters; for example '{ColumnNamer.TableName(destination)}'.");
            return null;
        }
        if (schema != organizationSchema)
        {
            problem = ProblemResults.BadRequest("Invalid destination",
                $"An organization imports into its own schema, '{organizationSchema}', not '{schema}'.");
            return null;
        }
        return (schema, table);
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex PlainIdentifier();
}
