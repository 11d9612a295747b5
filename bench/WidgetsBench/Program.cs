using CartoSelfHosted.TilesBench;
using CartoSelfHosted.WidgetsBench;

// bench/widgets.sh drives it:
//   --router <URL> --token <T> --warehouse <connection string> --schema <S> --table <name> --concurrency N
//   --rounds R --requests M --warmup S [--only formula,tiles]
// For each widget model, a warm-up round (repeated until it has lasted S seconds) then R rounds; in each, M requests at
// N in flight through the router (POST, which neither Varnish nor maps-api caches) and M of the same statement over a
// plain Npgsql pool, one after the other, which first alternating. Prints every round, then per model the medians, their spread and the ratio to the pool.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: WidgetsBench --router URL --token T --warehouse CS --schema S --table T --concurrency N --rounds R --requests M --warmup S");
    return 2;
}
return await WidgetRounds.RunAsync(Options.Parse(args));
