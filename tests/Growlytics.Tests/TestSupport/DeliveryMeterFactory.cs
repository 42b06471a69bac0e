using System.Diagnostics.Metrics;

namespace GrowlyticsSdk.Tests.TestSupport;

/// <summary>Hands the client its meter and keeps it, so a listener can tell this client's instruments from any other's.</summary>
internal sealed class DeliveryMeterFactory : IMeterFactory
{
    public Meter? Created { get; private set; }

    public Meter Create(MeterOptions options) => Created = new Meter(options);

    public void Dispose() => Created?.Dispose();
}
