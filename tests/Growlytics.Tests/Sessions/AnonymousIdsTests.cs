using System.Collections.Concurrent;
using GrowlyticsSdk.Sessions;

namespace GrowlyticsSdk.Tests.Sessions;

public sealed class AnonymousIdsTests
{
    [Fact]
    public void New_ManyIdsOnManyThreads_AreDistinctUrlSafeAnd22Characters()
    {
        var ids = new ConcurrentBag<string>();

        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                ids.Add(AnonymousIds.New());
            }
        });

        ids.Should().HaveCount(40_000).And.OnlyHaveUniqueItems();
        ids.Should().OnlyContain(id => id.Length == 22 && AnonymousIds.IsValid(id));
    }

    [Fact]
    public void New_AcrossPoolRefills_UsesEveryBitPosition()
    {
        // 128 random bits as 22 base64url characters: the last character carries only 2 bits (A, Q, g or w);
        // the others take all 64 values over enough ids. A pool offset bug repeats or zeroes bytes and fails this.
        var seen = Enumerable.Range(0, 22).Select(_ => new HashSet<char>()).ToArray();
        for (var i = 0; i < 2_000; i++)
        {
            var id = AnonymousIds.New();
            for (var c = 0; c < id.Length; c++)
            {
                seen[c].Add(id[c]);
            }
        }

        seen.Take(21).Should().OnlyContain(set => set.Count == 64);
        seen[21].Should().BeEquivalentTo(['A', 'Q', 'g', 'w']);
    }

    [Theory]
    [InlineData("abc-DEF_123", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("semi;colon", false)]
    [InlineData("ü", false)]
    public void IsValid_ChecksUrlSafeAlphabet(string value, bool expected) =>
        AnonymousIds.IsValid(value).Should().Be(expected);

    [Fact]
    public void IsValid_LengthLimit_Is64()
    {
        AnonymousIds.IsValid(new string('a', 64)).Should().BeTrue();
        AnonymousIds.IsValid(new string('a', 65)).Should().BeFalse();
    }
}
