using System.Reflection;
using System.Runtime.InteropServices;

namespace GrowlyticsSdk.Diagnostics;

/// <summary>What the SDK says about itself and its device in every batch and in the User-Agent header.</summary>
internal static class SdkInfo
{
    public const string Name = "growlytics-dotnet";
    public const string Platform = "DOTNET";

    public static readonly string Version = typeof(SdkInfo).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static readonly string OsName = GetOsName();

    public static readonly string OsVersion = Environment.OSVersion.Version.ToString();

    public static readonly string UserAgent =
        $"{Name}/{Version} ({HeaderSafe(RuntimeInformation.FrameworkDescription)}; {HeaderSafe(RuntimeInformation.OSDescription)})";

    /// <summary>
    /// Keeps <paramref name="text"/> to printable ASCII (anything else becomes <c>_</c>), as a header value must be: an
    /// operating system's description comes from the machine and may hold non-ASCII text or a line break, with which
    /// every request would fail at the handler.
    /// </summary>
    internal static string HeaderSafe(string text)
    {
        var chars = text.Trim().ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] is < ' ' or > '~')
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }

    private static string GetOsName()
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return "Windows";
        }

        if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
        {
            return "macOS";
        }

        return RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? "Linux" : "Unknown";
    }
}
