#if !GROWLYTICS_LIBRARY_NETSTANDARD
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>
/// The object overloads read the runtime type by reflection and are marked <see cref="RequiresUnreferencedCodeAttribute"/>:
/// the trimmer's warning (IL2026) at each call carries the attribute's message, which must tell an app what to use
/// instead. The object overload binds only where the value's static type is <c>object</c>; the README's AOT-safe way to
/// keep passing an object is to pass it with its type known at compile time (the generic overload), besides a
/// dictionary or <see cref="UserAttributes"/>.
/// </summary>
[Trait("Requires", "net8")]
public sealed class ReflectionOverloadWarningTests
{
    private static readonly string[] Overloads =
    [
        "GrowlyticsUser.Push(Object)",
        "GrowlyticsUser.Identify(String, Object)",
        "GrowlyticsCustomers.Update(String, Object)",
        "GrowlyticsCustomers.UpdateAsync(String, Object, CancellationToken)",
    ];

    public static TheoryData<string> ObjectOverloads => new(Overloads);

    [Theory]
    [MemberData(nameof(ObjectOverloads))]
    public void ObjectOverload_TrimWarning_NamesTheGenericOverloadAsTheWayToKeepPassingAnObject(string overload)
    {
        var method = Find(overload);

        var message = method.GetCustomAttribute<RequiresUnreferencedCodeAttribute>()?.Message;

        message.Should().NotBeNull("the object overload reads the runtime type, which trimming may strip");
        message.Should().Contain("known at compile time", "the warning must name the trim-safe way to pass an object (the generic overload)");
        message.Should().Contain($"{method.Name}<T>", "the warning must name the generic overload to bind to");
        message.Should().Contain("IReadOnlyDictionary<string, object?>").And.Contain(nameof(UserAttributes));
        message.Should().NotContain("an anonymous object by reflection", "an anonymous object binds to the generic overload, which is trim-safe, never to this one");
    }

    [Fact]
    public void EveryPublicMethodMarkedTrimUnsafe_IsAnObjectOverload()
    {
        var marked = new[] { typeof(GrowlyticsUser), typeof(GrowlyticsCustomers), typeof(GrowlyticsClient), typeof(Growlytics) }
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<RequiresUnreferencedCodeAttribute>() is not null)
            .Select(Describe);

        marked.Should().BeEquivalentTo(Overloads);
    }

    private static MethodInfo Find(string overload) =>
        new[] { typeof(GrowlyticsUser), typeof(GrowlyticsCustomers) }
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Single(m => Describe(m) == overload);

    private static string Describe(MethodInfo method) =>
        $"{method.DeclaringType!.Name}.{method.Name}({string.Join(", ", method.GetParameters().Select(p => p.ParameterType.Name))})";
}
#endif
