using CartoSelfHosted.LdsBench;
using CartoSelfHosted.TilesBench;

// bench/lds.sh drives it:
//   --router <URL> [--direct <lds-api's URL>] --token <T> --warehouse <connection string> --concurrency N --rounds R
//   --requests M --route-requests K --batch B --warmup S
// A warm-up round (repeated until it has lasted S seconds) then R rounds; in each, M geocodes and M reverse geocodes at
// N in flight through the router and M of the same statements over a plain Npgsql pool (K routes and K isolines), then
// one batch of B addresses each way; which side goes first alternates. Prints every round, then the medians, their
// spread and the ratio to the pool.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: LdsBench --router URL --token T --warehouse CS --concurrency N --rounds R --requests M --route-requests K --batch B --warmup S");
    return 2;
}
return await LdsRounds.RunAsync(Options.Parse(args));
