using GrowlyticsSdk.Diagnostics;
using GrowlyticsSdk.Serialization;

namespace GrowlyticsSdk.Tests.Serialization;

public sealed class UserAgentTests
{
    [Theory]
    [InlineData("Linux 6.1.0-26-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1 (2024-09-30)", "Linux 6.1.0-26-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1 (2024-09-30)")]
    [InlineData("  Ubuntu 24.04 LTS  ", "Ubuntu 24.04 LTS")]
    [InlineData("Débian\u00a0GNU/Linux 12", "D_bian_GNU/Linux 12")]
    [InlineData("Linux 6.1\r\nX-Injected: 1", "Linux 6.1__X-Injected: 1")]
    [InlineData("Linux\t6.1", "Linux_6.1")]
    [InlineData("Linux 6.1~rc1 \u007f(del)", "Linux 6.1~rc1 _(del)")]
    public void HeaderSafe_KeepsPrintableAsciiOnly(string description, string expected) =>
        SdkInfo.HeaderSafe(description).Should().Be(expected);

    [Fact]
    public void UserAgent_IsAValidHeaderValue()
    {
        using var request = new HttpRequestMessage();

        SdkInfo.UserAgent.Should().MatchRegex("^[ -~]+$").And.StartWith("growlytics-dotnet/" + SdkInfo.Version + " (");
        request.Headers.TryAddWithoutValidation("User-Agent", SdkInfo.UserAgent).Should().BeTrue();
        request.Headers.UserAgent.Should().NotBeEmpty("the value parses as a User-Agent: {0}", SdkInfo.UserAgent);
    }
}
