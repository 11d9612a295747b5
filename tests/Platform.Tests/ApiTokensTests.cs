using CartoSelfHosted.Platform.Security;

namespace CartoSelfHosted.Platform.Tests;

public sealed class ApiTokensTests
{
    [Fact]
    public void TokensAreUrlSafeUniqueAndPrefixed()
    {
        var tokens = Enumerable.Range(0, 100).Select(_ => ApiTokens.Generate()).ToList();

        Assert.Equal(tokens.Count, tokens.Distinct().Count());
        Assert.All(tokens, token =>
        {
            Assert.StartsWith(ApiTokens.Prefix, token);
            Assert.Equal(ApiTokens.Prefix.Length + 43, token.Length);
            Assert.Matches("^[A-Za-z0-9_-]+$", token);
        });
    }

    [Fact]
    public void TheHashIsStableAndDiffersPerToken()
    {
        Assert.Equal(ApiTokens.Hash("cst_a"), ApiTokens.Hash("cst_a"));
        Assert.NotEqual(ApiTokens.Hash("cst_a"), ApiTokens.Hash("cst_b"));
        Assert.Equal(32, ApiTokens.Hash("cst_a").Length);
    }
}
