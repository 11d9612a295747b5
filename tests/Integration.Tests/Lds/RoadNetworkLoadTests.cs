using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using CartoSelfHosted.Platform.RoadNetwork;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CartoSelfHosted.Integration.Tests.Lds;

/// <summary>
/// An installation admin loads an OpenStreetMap extract of their own as the road network (<c>PUT /api/v3/lds/routing/network</c>):
/// it replaces the network once whole, stays across a restart, and a file that is not a road network, a second load at once, a
/// file too large or a caller who is not the installation's admin leave the network as it was.
/// </summary>
[Collection(LdsEnvironment.Collection)]
public sealed class RoadNetworkLoadTests(LdsEnvironment environment)
{
    private const string NetworkUrl = "/api/v3/lds/routing/network";
    private const string GothenburgRoute = "/api/v3/lds/routing?origin=11.94,57.68&destination=11.99,57.72";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnExtractReplacesTheNetworkAndStaysAcrossARestartAndASecondLoadMeanwhileIsRefused()
    {
        using var admin = environment.Lds.CreateAuthorizedClient();
        try
        {
            // A grid of streets in Paris, 6 × 6 crossings 150 m apart.
            var loaded = await PutAsync(admin, GridInParis(), "paris-grid.osm");
            Assert.Equal(HttpStatusCode.OK, loaded.Status);
            Assert.Equal("paris-grid.osm", loaded.Body.GetProperty("source").GetString());
            Assert.Contains("OpenStreetMap", loaded.Body.GetProperty("attribution").GetString());
            Assert.True(loaded.Body.GetProperty("car_edges").GetInt64() >= 50, loaded.Body.ToString());
            var bounds = loaded.Body.GetProperty("bounds").EnumerateArray().Select(value => value.GetDouble()).ToArray();
            Assert.InRange(bounds[0], 2.34, 2.36);
            Assert.InRange(bounds[1], 48.85, 48.87);

            // Routes run on the new network, and Gothenburg is off it.
            using (var route = await admin.GetAsync("/api/v3/lds/routing?origin=2.3505,48.8505&destination=2.3610,48.8570&mode=walk", Cancellation))
            {
                var text = await route.Content.ReadAsStringAsync(Cancellation);
                Assert.True(route.StatusCode == HttpStatusCode.OK, text);
                var metres = JsonDocument.Parse(text).RootElement.GetProperty("properties").GetProperty("distance").GetDouble();
                // Along the grid: the two legs of the right angle, not the diagonal.
                Assert.InRange(metres, 1300, 1700);
            }
            using (var off = await admin.GetAsync(GothenburgRoute, Cancellation))
            {
                Assert.Equal(HttpStatusCode.UnprocessableEntity, off.StatusCode);
            }
            using (var described = await environment.Client().GetAsync(NetworkUrl, Cancellation))
            {
                Assert.Equal("paris-grid.osm", JsonDocument.Parse(await described.Content.ReadAsStringAsync(Cancellation)).RootElement
                    .GetProperty("source").GetString());
            }

            // A restart's load keeps the administrator's network: it does not load the package's again.
            await using (var dataSource = NpgsqlDataSource.Create(environment.Databases.Warehouse))
            {
                var loader = new RoadNetworkLoader(new Platform.Warehouse.WarehouseDatabase(dataSource, environment.Databases.Warehouse),
                    Options.Create(new RoadNetworkOptions()), NullLogger<RoadNetworkLoader>.Instance);
                Assert.False(await loader.LoadAsync(new RoadNetworkSources(Path.Combine(AppContext.BaseDirectory, "road-network")), Cancellation));
            }
        }
        finally
        {
            // Gothenburg back, as the other tests of the collection route on it; a second load meanwhile is refused.
            var gothenburg = GothenburgOsmXml();
            var restoring = PutAsync(admin, gothenburg, "gothenburg.osm");
            await Task.Delay(TimeSpan.FromSeconds(2), Cancellation);
            var meanwhile = await PutAsync(admin, GridInParis(), "paris-grid.osm");
            var restored = await restoring;
            Assert.True(restored.Status == HttpStatusCode.OK, restored.Body.ToString());
            Assert.Equal(HttpStatusCode.Conflict, meanwhile.Status);
        }
        using var back = await admin.GetAsync(GothenburgRoute, Cancellation);
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    [Theory]
    [InlineData("this is not OpenStreetMap's XML", "osm2pgrouting")]
    [InlineData("""<?xml version="1.0"?><osm version="0.6"><node id="1" lat="48.85" lon="2.35"/><node id="2" lat="48.86" lon="2.36"/></osm>""",
        "no roads for cars")]
    public async Task AFileThatIsNotARoadNetworkIs422AndTheNetworkIsAsItWas(string file, string named)
    {
        using var admin = environment.Lds.CreateAuthorizedClient();
        var before = await DescribeAsync();
        var answer = await PutAsync(admin, file, "bad.osm");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.Status);
        Assert.Contains(named, answer.Body.GetProperty("detail").GetString());
        Assert.Contains("as it was", answer.Body.GetProperty("detail").GetString());
        // The detail says what osm2pgrouting said, never where the database is.
        Assert.DoesNotContain("port", answer.Body.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, await DescribeAsync());
        using var route = await admin.GetAsync(GothenburgRoute, Cancellation);
        Assert.Equal(HttpStatusCode.OK, route.StatusCode);
    }

    [Fact]
    public async Task OnlyTheInstallationsAdminLoadsANetworkAndAnEmptyBodyIs400()
    {
        // An admin of another organization: the network is every organization's.
        var other = await PutAsync(environment.Client(), GridInParis(), "x.osm");
        Assert.Equal(HttpStatusCode.Forbidden, other.Status);
        Assert.Contains("first organization", other.Body.GetProperty("detail").GetString());
        // An API access token, even with lds: not an admin.
        using var lds = environment.Lds.CreateClient(await environment.ApiAccessTokenAsync("lds"));
        Assert.Equal(HttpStatusCode.Forbidden, (await PutAsync(lds, GridInParis(), "x.osm")).Status);
        // The description is for anyone of the platform with lds.
        using (var described = await lds.GetAsync(NetworkUrl, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, described.StatusCode);
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await PutAsync(environment.Lds.CreateAuthorizedClient(), "", "empty.osm")).Status);
    }

    [Fact]
    public async Task AFileLargerThanTheLimitIs413WhetherItsLengthIsSaidOrNot()
    {
        using var admin = environment.Lds.CreateAuthorizedClient();
        var before = await DescribeAsync();
        var body = new byte[LdsEnvironment.MaxRoadNetworkFileBytes + 1];
        using (var said = new ByteArrayContent(body))
        using (var response = await admin.PutAsync(NetworkUrl, said, Cancellation))
        {
            await LdsEnvironment.AssertProblemAsync(response, "MaxFileBytes", HttpStatusCode.RequestEntityTooLarge);
        }
        // Sent in chunks, its length unknown until it ends: refused as it streams.
        using (var chunked = new StreamContent(new MemoryStream(body)))
        {
            chunked.Headers.ContentLength = null;
            using var response = await admin.PutAsync(NetworkUrl, chunked, Cancellation);
            await LdsEnvironment.AssertProblemAsync(response, "MaxFileBytes", HttpStatusCode.RequestEntityTooLarge);
        }
        Assert.Equal(before, await DescribeAsync());
    }

    private async Task<string> DescribeAsync()
    {
        using var client = environment.Client();
        return await client.GetStringAsync(NetworkUrl, Cancellation);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PutAsync(HttpClient client, string osm, string name)
    {
        using var content = new StringContent(osm, Encoding.UTF8, "application/xml");
        using var response = await client.PutAsync($"{NetworkUrl}?name={Uri.EscapeDataString(name)}", content, Cancellation);
        var text = await response.Content.ReadAsStringAsync(Cancellation);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Gothenburg as the package has it, written as OpenStreetMap XML the way the loader writes it.</summary>
    private static string GothenburgOsmXml()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gothenburg-{Guid.NewGuid():N}.osm");
        try
        {
            new RoadNetworkSources(Path.Combine(AppContext.BaseDirectory, "road-network")).WriteOsmXml(path);
            return File.ReadAllText(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Six east–west and six north–south residential streets, 150 m apart, from (2.35, 48.85).</summary>
    private static string GridInParis()
    {
        const int Size = 6;
        const double StepLatitude = 150 / 111_320.0;
        var stepLongitude = 150 / (111_320.0 * Math.Cos(48.85 * Math.PI / 180));
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\" generator=\"test\">\n");
        int Node(int row, int column) => row * Size + column + 1;
        for (var row = 0; row < Size; row++)
        {
            for (var column = 0; column < Size; column++)
            {
                xml.Append(CultureInfo.InvariantCulture, $"<node id=\"{Node(row, column)}\" version=\"1\" lat=\"{48.85 + row * StepLatitude:F7}\" " +
                    $"lon=\"{2.35 + column * stepLongitude:F7}\"/>\n");
            }
        }
        var way = 1000;
        for (var line = 0; line < Size; line++)
        {
            foreach (var horizontal in new[] { true, false })
            {
                xml.Append(CultureInfo.InvariantCulture, $"<way id=\"{way++}\" version=\"1\">");
                for (var step = 0; step < Size; step++)
                {
                    xml.Append(CultureInfo.InvariantCulture, $"<nd ref=\"{(horizontal ? Node(line, step) : Node(step, line))}\"/>");
                }
                xml.Append("<tag k=\"highway\" v=\"residential\"/><tag k=\"name\" v=\"Rue ").Append(way).Append("\"/></way>\n");
            }
        }
        return xml.Append("</osm>\n").ToString();
    }
}
