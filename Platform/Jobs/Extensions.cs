using CartoSelfHosted.Platform.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class JobsExtensions
{
    /// <summary>The job records (<see cref="JobStore"/>) in the metadata database.</summary>
    public static IHostApplicationBuilder AddJobs(this IHostApplicationBuilder builder)
    {
        builder.AddMetadataDatabase();
        builder.Services.TryAddSingleton<JobStore>();
        return builder;
    }
}
