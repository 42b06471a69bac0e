using System.Runtime.InteropServices;

namespace Growlytics.Benchmarks.Infrastructure;

/// <summary>The CPU time the current thread has used (Linux: <c>CLOCK_THREAD_CPUTIME_ID</c>), for the loop's diagnostics.</summary>
internal static class ThreadCpuTime
{
    private const int ClockThreadCpuTimeId = 3;

    /// <summary>Gets the current thread's CPU time in milliseconds, or <see cref="double.NaN"/> where it is not read (not Linux).</summary>
    public static double NowMilliseconds()
    {
        if (!OperatingSystem.IsLinux() || ClockGetTime(ClockThreadCpuTimeId, out var time) != 0)
        {
            return double.NaN;
        }

        return (time.Seconds * 1e3) + (time.Nanoseconds / 1e6);
    }

#pragma warning disable SYSLIB1054, CA5392 // A plain P/Invoke into libc, for a diagnostic of the benchmark loop only.
    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);
#pragma warning restore SYSLIB1054, CA5392

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
