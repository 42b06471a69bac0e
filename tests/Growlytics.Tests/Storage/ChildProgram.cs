namespace GrowlyticsSdk.Tests.Storage;

/// <summary>Finds <c>Growlytics.Storage.ChildProcess</c>, the program the tests run in a process of its own.</summary>
internal static class ChildProgram
{
    public static string Path()
    {
        // tests/Growlytics.Tests/bin/<Configuration>/<tfm>/ → tests/Growlytics.Storage.ChildProcess/bin/<Configuration>/<tfm>/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar));
        var configuration = output.Parent!.Name;
        var tests = output.Parent.Parent!.Parent!.Parent!.FullName;
        var path = System.IO.Path.Combine(tests, "Growlytics.Storage.ChildProcess", "bin", configuration, output.Name, "Growlytics.Storage.ChildProcess.dll");
        File.Exists(path).Should().BeTrue("the child program is built with the tests");
        return path;
    }
}
