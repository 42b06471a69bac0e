namespace GrowlyticsSdk.Tests.Configuration;

/// <summary>
/// <see cref="GrowlyticsOptions"/>: "Read once, when the client is created"; the constructor's options are "copied, so
/// later changes have no effect". Some settings are read long after the constructor (what an invalid call does, at
/// each call; the shutdown's time, at the shutdown): an app that keeps its options object and changes it for the next
/// client must not change the running one.
/// </summary>
public sealed class OptionsReadOnceTests
{
    [Fact]
    public void Constructor_OptionsChangedAfterwards_TheClientKeepsWhatItWasCreatedWith()
    {
        var options = new GrowlyticsOptions { ApiKey = "secret-key-7f3a", FlushOnProcessExit = false, InvalidInputHandling = InvalidInputHandling.Throw };
        using var client = new GrowlyticsClient(options, startDelivery: false);

        options.InvalidInputHandling = InvalidInputHandling.Drop;

        client.User.Invoking(u => u.Push(new Dictionary<string, object?> { ["score"] = double.NaN }))
            .Should().Throw<GrowlyticsValidationException>("the client was created to throw for invalid input");
        client.Statistics.InvalidInputs.Should().Be(0);
    }
}
