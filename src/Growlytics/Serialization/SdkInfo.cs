using System.Reflection;
using System.Runtime.InteropServices;

namespace GrowlyticsSdk.Serialization;

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
        $"{Name}/{Version} ({RuntimeInformation.FrameworkDescription.Trim()}; {RuntimeInformation.OSDescription.Trim()})";

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
