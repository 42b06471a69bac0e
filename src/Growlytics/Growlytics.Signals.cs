#if NET
using System.Runtime.InteropServices;
#endif

namespace GrowlyticsSdk;

// The facade's client flushed when a signal ends the process. From .NET 10 on, SIGTERM (docker stop, systemd, Kubernetes)
// and SIGHUP (a closed terminal; on Windows a closed console window) end a process without raising AppDomain.ProcessExit,
// and Ctrl+C (SIGINT) never raised it: what was accepted but not yet sent was lost without a line in the log.
public static partial class Growlytics
{
    /// <summary>
    /// Registers the handlers that flush <paramref name="client"/> (within <see cref="GrowlyticsOptions.ShutdownTimeout"/>)
    /// when Ctrl+C, or from .NET 10 on SIGTERM or SIGHUP, is about to end the process. A handler neither shuts the client
    /// down nor keeps the process alive: if another handler keeps it running (the generic host's, a
    /// <see cref="Console.CancelKeyPress"/> handler that cancels), the client goes on and is shut down at the process's
    /// exit as before. Returns <see langword="null"/> where signals cannot be handled (the <c>netstandard2.0</c> build,
    /// browsers, iOS).
    /// </summary>
    internal static IDisposable? RegisterExitSignals(GrowlyticsClient client)
    {
#if NET
        if (OperatingSystem.IsBrowser() || OperatingSystem.IsWasi() || OperatingSystem.IsIOS() || OperatingSystem.IsTvOS())
        {
            return null;
        }

        var registrations = new ExitSignalRegistrations();
        try
        {
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, context => FlushOnSignal(client, context)));

            // Before .NET 10 the runtime's own SIGTERM and SIGHUP handlers raised ProcessExit, whose handler shuts the client down.
            if (Environment.Version.Major >= 10)
            {
                registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => FlushOnSignal(client, context)));
                registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, context => FlushOnSignal(client, context)));
            }
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
        // Another handler keeps the process running (it exits later, through ProcessExit), or the client is done.
        if (context.Cancel || client.IsShutDown)
        {
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
