using CartoSelfHosted.AccountsBench;
using CartoSelfHosted.TilesBench;

// bench/accounts.sh drives it:
//   --router <URL> --maps <URL of maps-api itself> --email E --password P --dev-token T --granted-token G
//   --tile-template <a TileJSON tiles[0]> --concurrency N --signin-concurrency S --rounds R --signins M --tiles M
// Sign-in through the router next to the password hash alone (accounts-api's Passwords), then one tile's requests with
// the granted API access token next to the development token's, on maps-api itself and through the router and its
// cache; a warm-up round, then R alternating rounds; every round printed, then the medians and the differences.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: AccountsBench --router URL --maps URL --email E --password P --dev-token T --granted-token G " +
        "--tile-template URL --concurrency N --signin-concurrency S --rounds R --signins M --tiles M");
    return 2;
}
return await AuthenticationRounds.RunAsync(Options.Parse(args));
