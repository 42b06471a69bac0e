using GrowlyticsSamples.Quickstart;

// dotnet run --project samples/Growlytics.Samples.Quickstart                  the flow, against an embedded local collector
// GROWLYTICS_API_KEY=... [GROWLYTICS_ENDPOINT=...] dotnet run --project ...    the flow, against a real endpoint
// dotnet run --project samples/Growlytics.Samples.Quickstart -- --serve 5080  only the collector, until Ctrl+C
switch (args)
{
    case ["--serve"]:
        return await QuickstartApp.ServeAsync(5080, Console.Out);
    case ["--serve", var portText] when int.TryParse(portText, out var port) && port is > 0 and <= 65535:
        return await QuickstartApp.ServeAsync(port, Console.Out);
    case []:
        var apiKey = Environment.GetEnvironmentVariable("GROWLYTICS_API_KEY");
        return string.IsNullOrWhiteSpace(apiKey)
            ? await QuickstartApp.RunLocalAsync(Console.Out)
            : await QuickstartApp.RunRemoteAsync(apiKey, Environment.GetEnvironmentVariable("GROWLYTICS_ENDPOINT"), Console.Out);
    default:
        Console.Error.WriteLine("usage: Growlytics.Samples.Quickstart [--serve [port]]");
        return 2;
}
