using CartoSelfHosted.Platform.Tiles;

namespace CartoSelfHosted.Platform.Tests;

/// <summary>Quadbin cells, against the numbers of CARTO's JavaScript <c>quadbin</c> library 0.4.2 (<c>tileToCell</c>) and its docs.</summary>
public sealed class QuadbinTests
{
    [Theory]
    [InlineData(0, 0, 0, 5192650370358181887L, "480fffffffffffff")]
    // CARTO's documented example: QUADBIN_FROMZXY(4, 9, 8).
    [InlineData(4, 9, 8, 5209574053332910079L, "484c1fffffffffff")]
    [InlineData(1, 1, 0, 5194902170171867135L, "4817ffffffffffff")]
    [InlineData(10, 524, 347, 5234909940857962495L, "48a622daffffffff")]
    [InlineData(26, 67108863, 0, 5306741560918234453L, "49a5555555555555")]
    public void ATileIsTheCellCartosLibraryGives(int z, long x, long y, long cell, string hex)
    {
        Assert.Equal(cell, Quadbin.FromTile(z, x, y));
        Assert.Equal((z, x, y), Quadbin.ToTile(cell));
        Assert.Equal(z, Quadbin.Resolution(cell));
        Assert.Equal(hex, Quadbin.ToHex(cell));
        Assert.True(Quadbin.TryParseHex(hex, out var parsed));
        Assert.Equal(cell, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("zz")]
    // Mode 0, a resolution past 26, a padding bit at 0, a cell's bits beyond 64.
    [InlineData("400fffffffffffff")]
    [InlineData("49bfffffffffffff")]
    [InlineData("480ffffffffffffe")]
    [InlineData("480fffffffffffff0")]
    [InlineData("-480fffffffffffff")]
    public void WhatIsNoCellDoesNotParse(string text) => Assert.False(Quadbin.TryParseHex(text, out _));

    [Fact]
    public void ATilesDescendantsAreOneRangeOfTheDeeperCells()
    {
        var tile = Quadbin.FromTile(3, 5, 2);
        var (first, last) = Quadbin.DescendantRange(tile, 6);
        Assert.Equal(Quadbin.FromTile(6, 40, 16), first);
        Assert.Equal(Quadbin.FromTile(6, 47, 23), last);
        // Every cell of resolution 6 is in the range exactly when its tile is under (3, 5, 2).
        for (var x = 0; x < 64; x++)
        {
            for (var y = 0; y < 64; y++)
            {
                var cell = Quadbin.FromTile(6, x, y);
                Assert.Equal(x >> 3 == 5 && y >> 3 == 2, cell >= first && cell <= last);
            }
        }
        Assert.Equal((tile, tile), Quadbin.DescendantRange(tile, 3));
    }
}
