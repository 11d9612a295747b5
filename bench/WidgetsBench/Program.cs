using CartoSelfHosted.TilesBench;
using CartoSelfHosted.WidgetsBench;

// bench/widgets.sh drives it:
//   --router <URL> --token <T> --warehouse <connection string> --schema <S> --table <name> --concurrency N
//   --rounds R --requests M [--only formula,tiles]
// For each widget model, a warm-up round then R rounds; in each, M requests at N in flight through the router (POST,
// which neither Varnish nor maps-api caches) and M of the same statement over a plain Npgsql pool, one after the other,
// which first alternating. Prints every round, then per model the medians, their spread and the ratio to the pool.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: WidgetsBench --router URL --token T --warehouse CS --schema S --table T --concurrency N --rounds R --requests M");
    return 2;
}
return await WidgetRounds.RunAsync(Options.Parse(args));
