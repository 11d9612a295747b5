using Npgsql;
using Npgsql.Internal;
using Npgsql.Internal.Postgres;

namespace CartoSelfHosted.Platform.Warehouse;

/// <summary>
/// Lets PostGIS's <c>geometry</c> and <c>geography</c> cross Npgsql as their binary form, EWKB (<c>byte[]</c>).
/// Npgsql cannot read either type by itself, and its NetTopologySuite plugin cannot be restored here; EWKB is also
/// what the platform writes and converts, so nothing is parsed twice.
/// </summary>
public static class PostGisWkb
{
    public static NpgsqlDataSourceBuilder UsePostGisWkb(this NpgsqlDataSourceBuilder builder)
    {
#pragma warning disable NPG9001 // Npgsql's type-resolver API is marked experimental; plugins are built on it.
        builder.AddTypeInfoResolverFactory(new ResolverFactory());
#pragma warning restore NPG9001
        return builder;
    }

    public static bool IsSpatialType(string dataTypeName) =>
        dataTypeName is "geometry" or "geography" or "public.geometry" or "public.geography";

#pragma warning disable NPG9001
    private sealed class ResolverFactory : PgTypeInfoResolverFactory
    {
        public override IPgTypeInfoResolver CreateResolver() => new Resolver();

        public override IPgTypeInfoResolver? CreateArrayResolver() => null;
    }

    private sealed class Resolver : IPgTypeInfoResolver
    {
        private TypeInfoMappingCollection? _mappings;

        private TypeInfoMappingCollection Mappings => _mappings ??= CreateMappings();

        public PgTypeInfo? GetTypeInfo(Type? type, DataTypeName? dataTypeName, PgSerializerOptions options) =>
            Mappings.Find(type, dataTypeName, options);

        private static TypeInfoMappingCollection CreateMappings()
        {
            var mappings = new TypeInfoMappingCollection();
            foreach (var name in new[] { "geometry", "geography" })
            {
                mappings.AddType<byte[]>(name, static (options, mapping, _) => mapping.CreateInfo(options, new EwkbConverter()),
                    isDefault: true);
            }
            return mappings;
        }
    }

    /// <summary>PostGIS's binary send and receive format is EWKB: the bytes pass through as they are.</summary>
    private sealed class EwkbConverter : PgStreamingConverter<byte[]>
    {
        public override byte[] Read(PgReader reader)
        {
            var bytes = new byte[reader.CurrentRemaining];
            reader.ReadBytes(bytes);
            return bytes;
        }

        public override async ValueTask<byte[]> ReadAsync(PgReader reader, CancellationToken cancellationToken = default)
        {
            var bytes = new byte[reader.CurrentRemaining];
            await reader.ReadBytesAsync(bytes, cancellationToken);
            return bytes;
        }

        public override Size GetSize(SizeContext context, byte[] value, ref object? writeState) => value.Length;

        public override void Write(PgWriter writer, byte[] value) => writer.WriteBytes(value);

        public override ValueTask WriteAsync(PgWriter writer, byte[] value, CancellationToken cancellationToken = default) =>
            writer.WriteBytesAsync(value, cancellationToken);
    }
#pragma warning restore NPG9001
}
