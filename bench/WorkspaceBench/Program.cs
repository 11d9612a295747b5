using CartoSelfHosted.TilesBench;
using CartoSelfHosted.WorkspaceBench;

// bench/workspace.sh drives it:
//   --postgres <admin connection string> --redis <host:port> --pubsub <emulator host:port> --workspace-api <WorkspaceApi.dll>
//   --requests N --concurrency C --rounds R
// Makes a metadata database and a warehouse, an organization with 10,000 resources (WorkspaceData), starts workspace-api
// (Release) on them, then times the catalog listing of a 1,000-table schema and search, each next to the same statement
// on PostgreSQL alone, in alternating rounds after a warm-up.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: WorkspaceBench --postgres CS --redis HOST:PORT --pubsub HOST:PORT --workspace-api DLL --requests N " +
        "--concurrency C --rounds R");
    return 2;
}
return await WorkspaceRounds.RunAsync(Options.Parse(args));
