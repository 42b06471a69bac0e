using System.Runtime.CompilerServices;
using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Sessions;
using GrowlyticsSdk.Validation;
using Microsoft.Extensions.Logging.Abstractions;

namespace GrowlyticsSdk.Tests.Sessions;

/// <summary>Saves made while a login or logout waits for the stored queue keep one state, not one per save.</summary>
public sealed class SessionStoreWaitingMemoryTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "growlytics-tests", "session-waiting-memory-" + Guid.NewGuid().ToString("N"));

    private SessionStore? _store;

    public void Dispose()
    {
        // The saves the barrier released are written in the background: the folder is deleted once they are.
        _store?.FlushAsync().Wait(TimeSpan.FromSeconds(10));
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    // Immediate saves coalesce (only _pending is kept). Saves made while a barrier waits each keep their own state, though
    // only the latest can ever be written: a REST app pushing anonymous attributes while a logout waits for a slow or stuck
    // stored queue keeps one snapshot of the held attributes per push.
    [Fact]
    public void SavesWhileABarrierWaits_SupersededStatesAreNotKept()
    {
        var store = _store = new SessionStore(_directory, NullLogger.Instance);
        var barrier = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Save(new StoredSession("anon-0", "u-0", [], 0), barrier.Task);

        var first = SaveMany(store, 2_000);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        try
        {
            first.IsAlive.Should().BeFalse("a state a later save supersedes while both wait is never written, so it is not kept");
        }
        finally
        {
            barrier.SetResult();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference SaveMany(SessionStore store, int count)
    {
        WeakReference? first = null;
        for (var i = 0; i < count; i++)
        {
            var held = new UserAttribute[100];
            for (var a = 0; a < held.Length; a++)
            {
                held[a] = new UserAttribute("a" + a, i);
            }

            var session = new StoredSession("anon-1", null, held, i + 1);
            first ??= new WeakReference(session);
            store.Save(session);
        }

        return first!;
    }
}
