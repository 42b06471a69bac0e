using Microsoft.Extensions.Time.Testing;

namespace GrowlyticsSdk.Tests.TestSupport;

/// <summary>Waits of tests that drive the library's fake clock: each bounded in real time, so a regression fails, not hangs.</summary>
internal static class FakeClockDriver
{
    /// <summary>Waits until <paramref name="condition"/> holds, without moving the clock; throws after 20 s of real time.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException("Still waiting after 20 s of real time.");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Moves fake time by <paramref name="step"/> at a time until <paramref name="task"/> completes or <paramref name="limit"/>
    /// of fake time has passed, letting the pool run what each step released; returns whether it completed.
    /// </summary>
    public static async Task<bool> AdvanceUntilAsync(FakeTimeProvider time, Task task, TimeSpan limit, TimeSpan step)
    {
        var moved = TimeSpan.Zero;
        while (!task.IsCompleted && moved < limit)
        {
            await SettleAsync(task);
            if (task.IsCompleted)
            {
                break;
            }

            time.Advance(step);
            moved += step;
        }

        await SettleAsync(task);
        return task.IsCompleted;
    }

    // Gives the pool a moment to run what the last step of fake time released.
    private static async Task SettleAsync(Task task)
    {
        for (var i = 0; i < 10 && !task.IsCompleted; i++)
        {
            await Task.Delay(2);
        }
    }
}
