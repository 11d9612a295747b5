using CartoSelfHosted.Platform.ObjectStorage;

namespace CartoSelfHosted.Integration.Tests.ObjectStorage;

/// <summary>Alone, with no other test allocating beside it: what it measures is the process's managed heap.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuringCollection
{
    public const string Name = "memory measuring";
}

/// <summary>A large upload into a cloud store is never whole in memory: the heap grows by about one part, not the file.</summary>
[Collection(MemoryMeasuringCollection.Name)]
public sealed class LargeUploadMemoryTests
{
    private const long UploadSize = 320L * 1024 * 1024;

    /// <summary>A part (8 MiB), what the SDKs take and garbage not yet collected (12 MiB in all, measured): far below the file's size.</summary>
    private const long MaxHeapGrowth = 64L * 1024 * 1024;

    public static TheoryData<string> Stores => ["s3", "azure"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A320MegabyteUploadGrowsTheHeapByLessThan64Megabytes(string store)
    {
        var cancel = TestContext.Current.CancellationToken;
        var storage = TestStores.Open(store == "s3"
            ? TestStores.S3(await TestStores.NewS3BucketAsync(cancel))
            : TestStores.Azure(await TestStores.NewAzureContainerAsync(cancel)));
        var key = $"large/{Guid.NewGuid():N}";
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        using var measuring = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var sampler = Task.Run(async () =>
        {
            while (!measuring.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
                await Task.Delay(10, CancellationToken.None);
            }
        }, CancellationToken.None);

        var length = await storage.PutAsync(key, new PatternStream(UploadSize), UploadSize, cancel);
        await measuring.CancelAsync();
        await sampler;

        Assert.Equal(UploadSize, length);
        Assert.True(peak - baseline < MaxHeapGrowth, $"the heap grew by {(peak - baseline) / (1024 * 1024)} MiB during the upload");
        await storage.DeleteAsync(key, cancel);
    }
}
