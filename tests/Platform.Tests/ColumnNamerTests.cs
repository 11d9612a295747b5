using System.Text;
using CartoSelfHosted.Platform.Imports;

namespace CartoSelfHosted.Platform.Tests;

public sealed class ColumnNamerTests
{
    [Theory]
    [InlineData("name", "name")]
    [InlineData("Name", "name")]
    [InlineData("  City Name  ", "city_name")]
    [InlineData("population 2020 (est.)", "population_2020_est")]
    [InlineData("a--b", "a_b")]
    [InlineData("a - b", "a_b")]
    [InlineData("(id)", "id")]
    [InlineData("_id", "_id")]
    [InlineData("id_", "id_")]
    [InlineData("__id", "_id")]
    [InlineData("café", "cafe")]
    [InlineData("Ñandú", "nandu")]
    [InlineData("Straße", "strasse")]
    [InlineData("Œuvre Æon", "oeuvre_aeon")]
    [InlineData("Łódź", "lodz")]
    [InlineData("e\u0301te\u0301", "ete")]
    [InlineData("Город", "column")]
    [InlineData("年 2020", "_2020")]
    [InlineData("1st", "_1st")]
    [InlineData("2020", "_2020")]
    [InlineData("", "column")]
    [InlineData("   ", "column")]
    [InlineData("!!!", "column")]
    [InlineData("select", "select_")]
    [InlineData("SELECT", "select_")]
    [InlineData("from", "from_")]
    [InlineData("where", "where_")]
    [InlineData("table", "table_")]
    [InlineData("user", "user_")]
    [InlineData("order", "order_")]
    [InlineData("group", "group_")]
    [InlineData("limit", "limit_")]
    [InlineData("all", "all_")]
    [InlineData("and", "and_")]
    [InlineData("current_user", "current_user_")]
    [InlineData("left", "left_")]
    [InlineData("join", "join_")]
    [InlineData("xmin", "xmin_")]
    [InlineData("xmax", "xmax_")]
    [InlineData("ctid", "ctid_")]
    [InlineData("oid", "oid_")]
    [InlineData("tableoid", "tableoid_")]
    [InlineData("cmin", "cmin_")]
    [InlineData("cmax", "cmax_")]
    [InlineData("type", "type")]
    [InlineData("date", "date")]
    [InlineData("value", "value")]
    [InlineData("name_", "name_")]
    public void MakesSafeIdentifiers(string source, string expected) => Assert.Equal(expected, new ColumnNamer([]).Add(source));

    [Theory]
    [InlineData("\"; DROP TABLE x; --")]
    [InlineData("a\"b")]
    [InlineData("x' OR '1'='1")]
    [InlineData("name\0")]
    [InlineData("col\u202Eumn")]
    [InlineData("$1")]
    [InlineData("U&\"d\\0061t\"")]
    public void InjectionLookingNamesBecomeHarmlessIdentifiers(string source)
    {
        var name = new ColumnNamer([]).Add(source);
        Assert.Matches("^[a-z_][a-z0-9_]{0,62}$", name);
    }

    [Fact]
    public void AnInjectionBecomesItsWords() => Assert.Equal("drop_table_x", new ColumnNamer([]).Add("\"; DROP TABLE x; --"));

    [Fact]
    public void DuplicatesGetNumbered()
    {
        var namer = new ColumnNamer([]);
        Assert.Equal(["a", "a_1", "a_2", "a_1_1"], new[] { "a", "A", "a ", "a_1" }.Select(namer.Add));
    }

    [Fact]
    public void NamesAlreadyTakenAreAvoided()
    {
        var namer = new ColumnNamer(["geom", "cartodb_id"]);
        Assert.Equal("geom_1", namer.Add("geom"));
        Assert.Equal("cartodb_id_1", namer.Add("CartoDB ID".Replace(' ', '_')));
        Assert.Equal("geom_2", namer.Add("Geom"));
    }

    [Fact]
    public void AReservedNameAndItsSuffixedFormStayDistinct()
    {
        var namer = new ColumnNamer([]);
        Assert.Equal("select_", namer.Add("select"));
        Assert.Equal("select__1", namer.Add("select_"));
    }

    [Fact]
    public void NamesAreAtMost63BytesEvenWithASuffix()
    {
        var namer = new ColumnNamer([]);
        var longName = new string('a', 100);
        var first = namer.Add(longName);
        var second = namer.Add(longName);
        Assert.Equal(new string('a', 63), first);
        Assert.Equal(new string('a', 61) + "_1", second);
        Assert.Equal(63, Encoding.UTF8.GetByteCount(namer.Add(new string('é', 100))));
    }

    [Theory]
    [InlineData("cities.geojson", "cities")]
    [InlineData("counties.shp.zip", "counties")]
    [InlineData("data.csv.gz", "data")]
    [InlineData("data.tar.gz", "data")]
    [InlineData("Cities.CSV", "cities")]
    [InlineData("report.2024.csv", "report_2024")]
    [InlineData("My Data (2).csv", "my_data_2")]
    [InlineData("/uploads/7/Cafés.csv", "cafes")]
    [InlineData("C:\\Users\\me\\points.csv", "points")]
    [InlineData("2024 sales.csv", "_2024_sales")]
    [InlineData("select.csv", "select_")]
    [InlineData("user.geojson", "user_")]
    [InlineData("noextension", "noextension")]
    [InlineData(".csv", "import")]
    [InlineData("!!!.csv", "import")]
    [InlineData("", "import")]
    public void TableNamesAreFileNamesWithoutExtensions(string fileName, string expected) =>
        Assert.Equal(expected, ColumnNamer.TableName(fileName));
}
