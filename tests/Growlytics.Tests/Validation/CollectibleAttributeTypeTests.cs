using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using GrowlyticsSdk.Tests.TestSupport.Caller;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Tests.Validation;

/// <summary>
/// An attributes object whose type lives in a collectible assembly (a plug-in loaded into an
/// <see cref="System.Runtime.Loader.AssemblyLoadContext"/> that unloads, a <see cref="AssemblyBuilderAccess.RunAndCollect"/>
/// dynamic assembly) is read as any other, and the SDK keeps nothing of its type: the object overloads' process-wide cache
/// of each runtime type's properties kept the type, and with it its assembly and everything that assembly loaded, for the
/// life of the process (a plug-in host that loads and unloads a plug-in kept every copy of it).
/// </summary>
public sealed class CollectibleAttributeTypeTests : IDisposable
{
    // Collecting an unloadable assembly takes a few collections (its loader is finalized first); far more than it needs.
    private const int MostCollections = 100;

    private readonly CallerHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Theory]
    [InlineData("Push(object)")]
    [InlineData("Push<object>")]
    [InlineData("Identify(string, object)")]
    [InlineData("Customers.Update(string, object)")]
    public void ObjectOverload_AttributesOfACollectibleType_AreSent_AndTheTypeCanBeCollected(string call)
    {
        var type = PushOnce(_harness, call);

        _harness.Drain().Should().ContainSingle().Which.Attributes.Should().ContainSingle()
            .Which.Name.Should().Be("plan", "the collectible type's property is read as any other's");
        CachedCollectibleTypes().Should().Be(0, "the process-wide cache of types' properties must not keep a collectible type");
        Collect(type).Should().BeTrue("nothing else in the SDK keeps it either: its assembly can unload");
    }

    // What the object overloads' cache of runtime types' properties holds of collectible types.
    private static int CachedCollectibleTypes()
    {
        var cache = typeof(AttributeReader).GetField("PropertyCache", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
        return ((System.Collections.IDictionary)cache).Keys.Cast<Type>().Count(type => type.IsCollectible);
    }

    // Made, read and let go in a frame of its own, so the test's frame holds no reference to the type.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference PushOnce(CallerHarness harness, string call)
    {
        var attributes = Activator.CreateInstance(DefineCollectibleType())!;
        switch (call)
        {
            case "Push(object)":
                harness.User.Push(attributes);
                break;
            case "Push<object>":
                harness.User.Push<object>(attributes);
                break;
            case "Identify(string, object)":
                harness.User.Identify("u-1", attributes);
                break;
            default:
                harness.Client.Customers.Update("c-1", attributes);
                break;
        }

        return new WeakReference(attributes.GetType());
    }

    private static bool Collect(WeakReference type)
    {
        for (var i = 0; i < MostCollections && type.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        return !type.IsAlive;
    }

    // A class in an assembly of its own that the runtime unloads once nothing refers to it: public string plan => "pro".
    private static Type DefineCollectibleType()
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("Plugin" + Guid.NewGuid().ToString("N")), AssemblyBuilderAccess.RunAndCollect);
        var type = assembly.DefineDynamicModule("Plugin").DefineType("PluginAttributes", TypeAttributes.Public | TypeAttributes.Class);
        type.DefineDefaultConstructor(MethodAttributes.Public);
        var getter = type.DefineMethod("get_plan", MethodAttributes.Public | MethodAttributes.SpecialName | MethodAttributes.HideBySig, typeof(string), Type.EmptyTypes);
        var il = getter.GetILGenerator();
        il.Emit(OpCodes.Ldstr, "pro");
        il.Emit(OpCodes.Ret);
        type.DefineProperty("plan", PropertyAttributes.None, typeof(string), null).SetGetMethod(getter);
        return type.CreateType();
    }
}
