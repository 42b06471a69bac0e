using GrowlyticsSdk.Tests.TestSupport.Caller;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>
/// The generic overloads with <c>T</c> = <see cref="object"/> (a forwarding helper <c>Track&lt;T&gt;(T a) =&gt; user.Push(a)</c>
/// called with an <c>object</c>): the declared type says nothing, so the object's own type is read, as the object overload
/// and <c>JsonSerializer.Serialize&lt;object&gt;</c> read it. They refused every such object as having "no readable public
/// instance properties", naming an anonymous type that has them.
/// </summary>
public sealed class ObjectTypeArgumentTests : IDisposable
{
    private readonly CallerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task PushIdentifyAndUpdate_ObjectAsTheTypeArgument_SendTheRuntimeTypesPropertiesAsTheObjectOverloadDoes()
    {
        object attributes = new { city = "Pune", visits = 3 };
        _harness.User.Push(attributes);
        var expected = Pairs(_harness.Drain().Single());
        expected.Should().Equal("city=Pune", "visits=3");

        Forward(_harness.User, attributes);
        _harness.User.Push<object>(attributes);
        _harness.User.Identify<object>("u-1", attributes);
        _harness.Client.Customers.Update<object>("c-1", attributes);
        await _harness.Client.Customers.UpdateAsync<object>("c-2", attributes);

        _harness.Drain().Select(Pairs).Should().HaveCount(5).And.AllSatisfy(pairs => pairs.Should().Equal(expected));
    }

    [Fact]
    public void Push_ObjectAsTheTypeArgument_WhatTheObjectOverloadRefuses_IsRefusedTheSameWay()
    {
        foreach (var attributes in new object[] { new object(), "not attributes", 42, new[] { 1 } })
        {
            var expected = FluentActions.Invoking(() => _harness.User.Push(attributes)).Should().Throw<GrowlyticsValidationException>().Which.Message;

            FluentActions.Invoking(() => _harness.User.Push<object>(attributes))
                .Should().Throw<GrowlyticsValidationException>().WithMessage(expected);
        }

        _harness.Drain().Should().BeEmpty();
    }

    private static void Forward<T>(GrowlyticsUser user, T attributes)
        where T : notnull => user.Push(attributes);

    private static List<string> Pairs(Messages.UserMessage message) => message.Attributes.Select(a => a.Name + "=" + a.Value).ToList();
}
