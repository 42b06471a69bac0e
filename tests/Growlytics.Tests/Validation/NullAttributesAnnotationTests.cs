using System.Reflection;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>
/// The generic attribute overloads throw <see cref="ArgumentNullException"/> for a <see langword="null"/> object, as the
/// others do; their annotations say so, so a nullable-enabled caller passing a maybe-null value is warned at compile time
/// (an unconstrained <c>T</c> alone takes a maybe-null argument without a word).
/// </summary>
public sealed class NullAttributesAnnotationTests
{
    public static TheoryData<Type, string> GenericOverloads => new()
    {
        { typeof(GrowlyticsUser), nameof(GrowlyticsUser.Push) },
        { typeof(GrowlyticsCustomers), nameof(GrowlyticsCustomers.Update) },
        { typeof(GrowlyticsCustomers), nameof(GrowlyticsCustomers.UpdateAsync) },
    };

    [Theory]
    [MemberData(nameof(GenericOverloads))]
    public void GenericOverload_NullAttributesThrow_TheParameterDisallowsNull(Type type, string name)
    {
        var method = type.GetMethods(BindingFlags.Public | BindingFlags.Instance).Single(m => m.Name == name && m.IsGenericMethodDefinition);
        var attributes = method.GetParameters().Single(p => p.Name == "attributes");

        new NullabilityInfoContext().Create(attributes).WriteState.Should().Be(NullabilityState.NotNull);
    }
}
