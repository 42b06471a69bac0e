#if NET
using System.Runtime.InteropServices;
#endif

namespace GrowlyticsSdk;

// The facade's client flushed when a signal ends the process. From .NET 10 on, SIGTERM (docker stop, systemd, Kubernetes)
// and SIGHUP (a closed terminal; on Windows a closed console window) end a process without raising AppDomain.ProcessExit,
// nor does Ctrl+C (SIGINT): what was accepted but not yet sent was lost without a line in the log. Only from .NET 10 on,
// where the runtime calls a signal's handlers newest first and stops at the first that cancels: a handler registered
// after Initialize (the generic host's, when the host starts later) decides first, and if it keeps the process running
// the SDK's is not called.
public static partial class Growlytics
{
    /// <summary>
    /// Registers, on .NET 10 and later, the handlers that flush <paramref name="client"/> (within
    /// <see cref="GrowlyticsOptions.ShutdownTimeout"/>) when Ctrl+C, SIGTERM or SIGHUP is about to end the process. A
    /// handler neither shuts the client down nor keeps the process alive: if another handler keeps it running (the
    /// generic host's, a <see cref="Console.CancelKeyPress"/> handler that cancels), the client goes on and is shut down
    /// at the process's exit as before. Returns <see langword="null"/> where signals are not handled (earlier runtimes,
    /// the <c>netstandard2.0</c> build, browsers, iOS).
    /// </summary>
    internal static IDisposable? RegisterExitSignals(GrowlyticsClient client)
    {
#if NET
        // Before .NET 10 the runtime raised ProcessExit for SIGTERM (whose handler shuts the client down), and called every
        // handler of a signal, oldest first: the SDK's flush would then come before the host's decision to keep running.
        if (Environment.Version.Major < 10
            || OperatingSystem.IsBrowser() || OperatingSystem.IsWasi() || OperatingSystem.IsIOS() || OperatingSystem.IsTvOS())
        {
            return null;
        }

        var registrations = new ExitSignalRegistrations();
        try
        {
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, context => FlushOnSignal(client, context)));
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => FlushOnSignal(client, context)));
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, context => FlushOnSignal(client, context)));
        }
#pragma warning disable CA1031 // A platform without these signals keeps what was registered, and the ProcessExit handler.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        return registrations;
#else
        return null;
#endif
    }

#if NET
    internal static void FlushOnSignal(GrowlyticsClient client, PosixSignalContext context)
    {
        // Another handler keeps the process running (it exits later, through ProcessExit).
        if (context.Cancel)
        {
            return;
        }

        if (client.IsShutDown)
        {
            // A shutdown started elsewhere (the app's, as Main ends) still runs: the process ends when this returns, so it
            // is waited for, within its bound, as the process exit's handler waits for it.
            client.WaitForShutdownOnExitSignal();
            return;
        }

        client.FlushForExitSignal(context.Signal.ToString());
    }

    private sealed class ExitSignalRegistrations : IDisposable
    {
        private readonly List<PosixSignalRegistration> _registrations = new(3);

        public void Add(PosixSignalRegistration registration)
        {
            lock (_registrations)
            {
                _registrations.Add(registration);
            }
        }

        public void Dispose()
        {
            lock (_registrations)
            {
                foreach (var registration in _registrations)
                {
                    registration.Dispose();
                }

                _registrations.Clear();
            }
        }
    }
#endif
}
