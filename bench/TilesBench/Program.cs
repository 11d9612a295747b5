using CartoSelfHosted.TilesBench;

// bench/tiles.sh drives it; four commands:
//   serve  --port P --warehouse <connection string> --metadata <connection string> --sources <id>,<id>…
//          the PostGIS-alone reference: GET /{id}/{z}/{x}/{y} runs maps-api's tile SQL of that source over a plain pool.
//   run    --list <file of z/x/y> --template <url with {z} {x} {y}> --concurrency N [--token T] [--repeat R]
//          [--warmup <url>] [--results <tsv> --table <name> --pass <name>] [--save <dir>] [--accept-encoding <value>]
//          every tile of the list once (R times over), N at a time, after 2,000 requests to the warm-up URL (one that
//          reaches no tile); appends one line of figures to the results file (nothing when it is a warm-up pass), or
//          writes the tiles' bytes under <dir>/z/x/y.mvt.
//   report --results <tsv>
//          the table of every pass and the goals.
//   compress --dir <dir written by run --save> --table <name>
//          what gzipping each of those tiles once costs, at Varnish's level and at the fastest.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: TilesBench serve|run|report|compress --option value …");
    return 2;
}
var options = Options.Parse(args.Skip(1));
switch (args[0])
{
    case "serve":
        await PostgisServer.RunAsync(options.Int("port"), options.Get("warehouse"), options.Get("metadata"),
            options.Get("sources").Split(',', StringSplitOptions.RemoveEmptyEntries));
        return 0;
    case "run":
        return await LoadRunner.RunAsync(options);
    case "report":
        return Report.Print(options.Get("results"));
    case "compress":
        return CompressionCost.Print(options.Get("dir"), options.Get("table"));
    default:
        Console.Error.WriteLine($"unknown command '{args[0]}'");
        return 2;
}
