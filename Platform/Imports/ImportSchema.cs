using CartoSelfHosted.Platform.Geometry;

namespace CartoSelfHosted.Platform.Imports;

/// <summary>A column of the imported table: its safe name, the field it comes from, and its type so far.</summary>
public sealed class ImportColumn(string name, string sourceName, int fieldIndex, ColumnType? type, bool fixedType)
{
    public string Name { get; } = name;

    public string SourceName { get; } = sourceName;

    /// <summary>The field's position in the reader's <see cref="IFeatureReader.Fields"/>.</summary>
    public int FieldIndex { get; } = fieldIndex;

    /// <summary>The narrowest type holding every value seen; null while every value was null (the table says text).</summary>
    public ColumnType? Type { get; internal set; } = type;

    /// <summary>The type the request named, or text without autoguessing: values are never widened past it.</summary>
    public bool FixedType { get; } = fixedType;

    public ColumnType EffectiveType => Type ?? ColumnType.Text;
}

/// <summary>What the imported geometry column is: one type, a multi type its singles are promoted to, or any geometry.</summary>
public readonly record struct GeometryColumnType(WkbGeometryType? Kind, bool PromoteToMulti)
{
    /// <summary>No geometry seen yet.</summary>
    public static readonly GeometryColumnType None = new(null, false);

    public bool IsGeneric => Kind == WkbGeometryType.GeometryCollection;

    /// <summary>PostGIS's name for the column's type: <c>Point</c>, <c>MultiPolygon</c>… or <c>Geometry</c>.</summary>
    public string PostGisName => Kind switch
    {
        null or WkbGeometryType.GeometryCollection => "Geometry",
        { } kind => kind.ToString(),
    };

    /// <summary>The type that holds this one's geometries and one of <paramref name="next"/>.</summary>
    public GeometryColumnType With(WkbGeometryType next)
    {
        if (Kind is not { } current || current == next)
        {
            return Kind is null ? new GeometryColumnType(next, false) : this;
        }
        if (IsGeneric)
        {
            return this;
        }
        var multi = MultiOf(current);
        // A Polygon beside MultiPolygons (and the like) becomes a one-part MultiPolygon, as GIS tools expect.
        return multi is not null && multi == MultiOf(next)
            ? new GeometryColumnType(multi, true)
            : new GeometryColumnType(WkbGeometryType.GeometryCollection, false);
    }

    private static WkbGeometryType? MultiOf(WkbGeometryType kind) => kind switch
    {
        WkbGeometryType.Point or WkbGeometryType.MultiPoint => WkbGeometryType.MultiPoint,
        WkbGeometryType.LineString or WkbGeometryType.MultiLineString => WkbGeometryType.MultiLineString,
        WkbGeometryType.Polygon or WkbGeometryType.MultiPolygon => WkbGeometryType.MultiPolygon,
        _ => null,
    };
}

/// <summary>
/// The table an import writes, inferred as features arrive: a column per field (safe, unique names; the narrowest
/// type holding every value, widened when a later value does not fit) and the geometry column's type.
/// </summary>
public sealed class ImportSchema
{
    /// <summary>The geometry column of every imported table.</summary>
    public const string GeometryColumn = "geom";

    private readonly ColumnNamer _namer = new([GeometryColumn]);
    private readonly List<ImportColumn> _columns = [];
    private readonly IReadOnlyDictionary<string, ColumnType> _namedTypes;
    private readonly bool _autoguessing;

    public ImportSchema(bool autoguessing, IReadOnlyDictionary<string, ColumnType>? namedTypes = null)
    {
        _autoguessing = autoguessing;
        _namedTypes = namedTypes is null
            ? new Dictionary<string, ColumnType>()
            : new Dictionary<string, ColumnType>(namedTypes, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<ImportColumn> Columns => _columns;

    public GeometryColumnType Geometry { get; private set; } = GeometryColumnType.None;

    /// <summary>
    /// Takes <paramref name="feature"/> into account. Returns the columns that are new (<paramref name="added"/>) or
    /// must widen (<paramref name="widened"/>), and whether the geometry column must change type.
    /// </summary>
    public bool Observe(Feature feature, IReadOnlyList<string> fields, List<ImportColumn> added, List<ImportColumn> widened,
        out bool geometryChanged)
    {
        added.Clear();
        widened.Clear();
        while (_columns.Count < fields.Count)
        {
            var source = fields[_columns.Count];
            var named = _namedTypes.TryGetValue(source, out var type);
            var column = new ImportColumn(_namer.Add(source), source, _columns.Count,
                named ? type : _autoguessing ? null : ColumnType.Text, fixedType: named || !_autoguessing);
            _columns.Add(column);
            added.Add(column);
        }
        var values = feature.Values;
        for (var i = 0; i < values.Length; i++)
        {
            var column = _columns[i];
            if (column.FixedType || values[i].Kind == FieldKind.Null || ColumnTypes.Infer(values[i]) is not { } inferred)
            {
                continue;
            }
            if (column.Type is not { } current)
            {
                column.Type = inferred;
                if (!added.Contains(column))
                {
                    widened.Add(column);
                }
            }
            else if (current != inferred && ColumnTypes.Widen(current, inferred) is var wider && wider != current)
            {
                column.Type = wider;
                if (!added.Contains(column))
                {
                    widened.Add(column);
                }
            }
        }
        geometryChanged = false;
        if (feature.Geometry is { } geometry && Geometry.With(geometry.Kind) is var next && next != Geometry)
        {
            Geometry = next;
            geometryChanged = true;
        }
        return added.Count > 0 || widened.Count > 0 || geometryChanged;
    }
}
