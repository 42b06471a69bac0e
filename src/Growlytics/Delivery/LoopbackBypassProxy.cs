using System.Net;
using GrowlyticsSdk.Configuration;

namespace GrowlyticsSdk.Delivery;

/// <summary>
/// The proxy of an SDK-owned handler: requests to this machine never go through a proxy, others as the handler's own
/// proxy (or, when it has none, the process's default proxy, read at each request) says. Plain <c>http</c> is allowed
/// only to a loopback endpoint, on the promise that the traffic stays on the machine; a proxy from <c>HTTP_PROXY</c> or
/// <c>ALL_PROXY</c> (.NET does not bypass loopback by itself) received the API key and the messages in clear text, and
/// its own answer counted as a delivery. <c>https</c> through a proxy is a tunnel the proxy cannot read.
/// </summary>
internal sealed class LoopbackBypassProxy : IWebProxy
{
    private readonly IWebProxy? _configured;

    public LoopbackBypassProxy(IWebProxy? configured) => _configured = configured;

    public ICredentials? Credentials
    {
        get => Inner?.Credentials;
        set
        {
            if (Inner is { } inner)
            {
                inner.Credentials = value;
            }
        }
    }

#if NET8_0_OR_GREATER
    private IWebProxy? Inner => _configured ?? HttpClient.DefaultProxy;
#else
    private IWebProxy? Inner => _configured ?? DefaultProxy!();

    /// <summary>
    /// Gets <c>HttpClient.DefaultProxy</c> (.NET Core 3.0 and later), which a handler without a proxy of its own uses there;
    /// <see langword="null"/> on .NET Framework, whose handlers already reach loopback addresses directly and are left
    /// as they are (see <see cref="DefaultHttpClient.Harden"/>).
    /// </summary>
    internal static readonly Func<IWebProxy?>? DefaultProxy = FindDefaultProxy();

    private static Func<IWebProxy?>? FindDefaultProxy()
    {
        try
        {
            var getter = typeof(HttpClient).GetProperty("DefaultProxy", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)?.GetMethod;
            return getter is { IsStatic: true } && getter.ReturnType == typeof(IWebProxy)
                ? (Func<IWebProxy?>)getter.CreateDelegate(typeof(Func<IWebProxy?>))
                : null;
        }
#pragma warning disable CA1031 // A runtime whose HttpClient differs keeps its handlers as they are; requests must not fail for it.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }
#endif

    public Uri? GetProxy(Uri destination) => OptionsValidation.IsLoopback(destination) ? null : Inner?.GetProxy(destination);

    public bool IsBypassed(Uri host) => OptionsValidation.IsLoopback(host) || Inner is not { } inner || inner.IsBypassed(host);
}
