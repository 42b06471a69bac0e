namespace GrowlyticsSdk.Tests.TestSupport;

/// <summary>
/// Tests that change process-wide state (environment variables, the facade's host flag) run in this collection,
/// alone: xunit runs collections that disable parallelization after all the others, one test at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessStateCollection
{
    public const string Name = "Process state";
}
