using System.Text.Json;
using GrowlyticsSdk.Sessions;
using static GrowlyticsSdk.Tests.TestSupport.Caller.CallerValidation;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>
/// The process-wide session file at start: pushes a REST run held for the login, queued by a <c>Batch</c> start, stay in
/// the file until the update carrying them is stored (a kill before that finds them there); a held value no call could
/// have pushed (a string over 512 characters, in a damaged or foreign file) is not restored.
/// </summary>
public sealed class SessionFileHeldAtStartTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "growlytics-tests", "h45-" + Guid.NewGuid().ToString("N"));
    private readonly ManualResetEventSlim _writerOpen = new(true);
    private readonly SemaphoreSlim _writerHeld = new(0);

    public void Dispose()
    {
        _writerOpen.Set();
        try
        {
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    // README: "Pushes a Rest run held for the login and left in the session file are sent by a Batch start as the
    // anonymous update they were"; GrowlyticsClient: "written (again) ... in the last case once they are stored".
    [Fact]
    public async Task BatchStart_QueuesRestHeldPushes_FileKeepsThemUntilTheUpdateIsStored()
    {
        await using (var first = new GrowlyticsClient(Options(GrowlyticsProtocol.Rest), startDelivery: false))
        {
            first.User.Push(One("city", "Pune"));
        }

        HeldCallsInFile().Should().Be(1);

        // The next start (Batch): the storage writer stops before it appends the queued anonymous update.
        _writerOpen.Reset();
        await using var second = new GrowlyticsClient(Options(GrowlyticsProtocol.Batch));
        (await _writerHeld.WaitAsync(TimeSpan.FromSeconds(20))).Should().BeTrue("the update reaches the storage writer");
        await Task.Delay(300);

        // A kill -9 now: the update is in memory only, so the file must still hold the push.
        HeldCallsInFile().Should().Be(1, "the queued update is in memory only: a kill now must find the push still in the file");
        _writerOpen.Set();
    }

    // A foreign or damaged held part: string values longer than 512 characters are never accepted at the call.
    [Fact]
    public async Task HeldValueLongerThanTheLimit_InTheFile_IsNotRestored()
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, SessionStore.FileName);
        var value = new string('x', 5000);
        File.WriteAllText(path, "{\"version\":2,\"anonymousId\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"userId\":null,\"held\":{\"calls\":1,\"attributes\":[{\"name\":\"city\",\"type\":\"string\",\"value\":\"" + value + "\"}]}}");

        await using var client = new GrowlyticsClient(Options(GrowlyticsProtocol.Rest), startDelivery: false);
        client.Statistics.Restored.Should().Be(0, "a held value no call could have pushed is not trusted");
    }

    private GrowlyticsOptions Options(GrowlyticsProtocol protocol) => new()
    {
        ApiKey = "k",
        Endpoint = new Uri("http://127.0.0.1:9/"),
        StorageDirectory = _directory,
        Protocol = protocol,
        SessionMode = SessionMode.ProcessWide,
        FlushOnProcessExit = false,
        ShutdownTimeout = TimeSpan.FromMilliseconds(300),
        BeforeStorageAppend = () =>
        {
            if (!_writerOpen.IsSet)
            {
                _writerHeld.Release();
                _writerOpen.Wait(TimeSpan.FromSeconds(20));
            }
        },
    };

    private int HeldCallsInFile()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_directory, SessionStore.FileName)));
        return document.RootElement.TryGetProperty("held", out var held) ? held.GetProperty("calls").GetInt32() : 0;
    }
}
