using System.Runtime.ExceptionServices;

namespace GrowlyticsSdk.Tests.TestSupport;

/// <summary>
/// Sits in front of the MockHttp collector and turns a <see cref="DeliveryFaultResponse"/> into the exception it
/// carries, so the SDK sees a handler that throws while MockHttp itself only ever completes normally.
/// </summary>
internal sealed class DeliveryFaultHandler : DelegatingHandler
{
    public DeliveryFaultHandler(HttpMessageHandler inner)
        : base(inner)
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (response is DeliveryFaultResponse fault)
        {
            fault.Dispose();
            ExceptionDispatchInfo.Throw(fault.Fault);
        }

        return response;
    }
}

/// <summary>A placeholder answer standing for "the handler threw <see cref="Fault"/>".</summary>
internal sealed class DeliveryFaultResponse : HttpResponseMessage
{
    public DeliveryFaultResponse(Exception fault) => Fault = fault;

    public Exception Fault { get; }
}
