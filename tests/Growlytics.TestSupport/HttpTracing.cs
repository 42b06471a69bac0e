using System.Diagnostics;

namespace GrowlyticsSdk.TestSupport;

/// <summary>An app that traces its outgoing HTTP, as OpenTelemetry's HttpClient instrumentation does.</summary>
public static class HttpTracing
{
    /// <summary>
    /// Samples every activity of <c>System.Net.Http</c> until disposed: each <see cref="System.Net.Http.HttpClient"/>
    /// request then gets an activity and, unless its handler was told not to, sends its trace context
    /// (<c>traceparent</c>), whatever context the request is sent from.
    /// </summary>
    public static IDisposable TraceEveryRequest()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
