using System.Net;
using CartoSelfHosted.Platform.Imports;

namespace CartoSelfHosted.Platform.Tests;

public sealed class ImportUrlsTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.1.2.3")]
    [InlineData("10.0.0.8")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.0.0.1")]
    public void LoopbackPrivateLinkLocalAndTheLikeAreNotPublic(string address) =>
        Assert.False(ImportUrls.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("193.168.1.1")]
    [InlineData("2001:4860:4860::8888")]
    public void OtherAddressesArePublic(string address) => Assert.True(ImportUrls.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://127.0.0.1/x.csv")]
    [InlineData("http://[::1]:8080/x.csv")]
    [InlineData("https://10.1.2.3/x.csv")]
    [InlineData("ftp://8.8.8.8/x.csv")]
    [InlineData("file:///etc/passwd")]
    [InlineData("not a url")]
    public async Task CheckRefusesLocalAddressesAndOtherSchemes(string url)
    {
        var (allowed, problem) = await ImportUrls.CheckAsync(url, allowPrivate: false, TestContext.Current.CancellationToken);

        Assert.Null(allowed);
        Assert.NotNull(problem);
    }

    [Fact]
    public async Task APublicAddressOrAnAllowedPrivateOneIsAccepted()
    {
        Assert.NotNull((await ImportUrls.CheckAsync("http://8.8.8.8/x.csv", allowPrivate: false, TestContext.Current.CancellationToken)).Url);
        Assert.NotNull((await ImportUrls.CheckAsync("http://127.0.0.1/x.csv", allowPrivate: true, TestContext.Current.CancellationToken)).Url);
    }
}
