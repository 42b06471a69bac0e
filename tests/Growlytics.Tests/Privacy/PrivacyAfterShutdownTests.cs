using GrowlyticsSdk.Storage;
using GrowlyticsSdk.Tests.Storage;

namespace GrowlyticsSdk.Tests.Privacy;

/// <summary>The privacy controls of a client whose shutdown has completed (a stale reference to a replaced client).</summary>
public sealed class PrivacyAfterShutdownTests : StorageTestBase
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OptOutOrOptIn_AfterShutdown_Throws_TheNextClientsSavedChoiceStands(bool optOut)
    {
        var collector = new StorageCollector { Up = true };
        var first = NewClient(collector);
        await first.DisposeAsync();
        await using var second = NewClient(collector);
        if (!optOut)
        {
            second.OptOut();
        }

        var saved = File.Exists(PrivacyFilePath) ? File.ReadAllText(PrivacyFilePath) : null;

        Action act = optOut ? first.OptOut : first.OptIn;

        act.Should().Throw<ObjectDisposedException>().WithMessage("*shut down*neither applied nor saved*");
        first.IsOptedOut.Should().BeFalse();
        (File.Exists(PrivacyFilePath) ? File.ReadAllText(PrivacyFilePath) : null).Should().Be(saved, "the folder is the second client's");
        second.IsOptedOut.Should().Be(!optOut);
    }

    [Fact]
    public async Task OptOut_WhileTheShutdownRuns_StillApplies()
    {
        var collector = new StorageCollector { Up = false };
        var client = NewClient(collector);
        PushNumbers(client, 0, 3);
        var shutdown = client.ShutdownAsync();

        client.OptOut();

        client.IsOptedOut.Should().BeTrue();
        await DriveUntilAsync(() => shutdown.IsCompleted, TimeSpan.FromMilliseconds(200));
        File.ReadAllText(PrivacyFilePath).Should().Be("{\"version\":1,\"optedOut\":true}");
        collector.Messages.Should().BeEmpty();
    }

    private string PrivacyFilePath => Path.Combine(Directory, PrivacyFile.FileName);
}
