namespace GrowlyticsSdk.Tests.Configuration;

public sealed class DefaultStorageDirectoryTests
{
    [Fact]
    public void GetDefaultStorageDirectory_AnAppName_IsAGrowlyticsFolderUnderItInTheUsersAppData()
    {
        var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);

        GrowlyticsOptions.GetDefaultStorageDirectory("MyApp").Should().Be(Path.Combine(root, "MyApp", "Growlytics"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("My/App")]
    [InlineData("My\0App")]
    public void GetDefaultStorageDirectory_NotAFolderName_ThrowsNamingTheParameter(string appName)
    {
        var act = () => GrowlyticsOptions.GetDefaultStorageDirectory(appName);

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("appName");
    }
}
