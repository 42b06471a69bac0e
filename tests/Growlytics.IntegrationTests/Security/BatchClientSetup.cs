using static GrowlyticsSdk.IntegrationTests.TestSupport;

namespace GrowlyticsSdk.IntegrationTests.Security;

/// <summary>The batch-protocol client the transport security tests use: fast retries, no exit flush.</summary>
internal static class BatchClientSetup
{
    public static void Configure(GrowlyticsOptions options, Uri endpoint, string apiKey)
    {
        var fast = FastOptions(endpoint);
        options.ApiKey = apiKey;
        options.Endpoint = fast.Endpoint;
        options.Protocol = GrowlyticsProtocol.Batch;
        options.FlushInterval = fast.FlushInterval;
        options.RequestTimeout = fast.RequestTimeout;
        options.RetryBaseDelay = fast.RetryBaseDelay;
        options.MaxRetryDelay = fast.MaxRetryDelay;
        options.MaxRetryAttempts = fast.MaxRetryAttempts;
        options.RetryBudget = fast.RetryBudget;
        options.FlushOnProcessExit = false;
    }

    /// <summary>Pushes the numbers 0 to <paramref name="messages"/> - 1 and waits for the flush.</summary>
    public static async Task PushAndFlushAsync(GrowlyticsClient client, int messages)
    {
        for (var i = 0; i < messages; i++)
        {
            client.User.Push(Number(i));
        }

        await FlushAsync(client);
    }
}
