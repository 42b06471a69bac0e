using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace GrowlyticsSdk.Validation;

/// <summary>Turns each accepted shape of attributes into a validated attribute array.</summary>
internal static class AttributeReader
{
    private const string ReflectionMessage =
        "Reads the public properties of an anonymous or plain object by reflection, which trimming may remove. "
        + "Use the IReadOnlyDictionary<string, object?> or UserAttributes overload in trimmed or AOT apps.";

    // Null for a type that is not an attributes object (a string, a number, a sequence), decided once per type.
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]?> PropertyCache = new();

    public static UserAttribute[] Read(IReadOnlyDictionary<string, object?> attributes)
    {
        if (attributes is UserAttributes typed)
        {
            return Read(typed);
        }

        var builder = new AttributeSetBuilder(attributes.Count);
        if (attributes is Dictionary<string, object?> concrete)
        {
            // The common case, enumerated without boxing the enumerator.
            foreach (var pair in concrete)
            {
                builder.Add(pair.Key, pair.Value);
            }
        }
        else
        {
            foreach (var pair in attributes)
            {
                builder.Add(pair.Key, pair.Value);
            }
        }

        return builder.Build();
    }

    public static UserAttribute[] Read(UserAttributes attributes)
    {
        var builder = new AttributeSetBuilder(attributes.Count);
        foreach (var pair in attributes)
        {
            builder.Add(pair.Key, pair.Value);
        }

        return builder.Build();
    }

    [RequiresUnreferencedCode(ReflectionMessage)]
    public static UserAttribute[] Read(object attributes)
    {
        switch (attributes)
        {
            case UserAttributes typed:
                return Read(typed);
            case IReadOnlyDictionary<string, object?> dictionary:
                return Read(dictionary);
            case IDictionary dictionary:
                return Read(dictionary);
            case IDictionary<string, object?> pairs:
                // IDictionary<string, object> without the read-only interface, such as ExpandoObject.
                return Read(pairs);
            default:
                return ReadProperties(attributes);
        }
    }

    private static UserAttribute[] Read(IDictionary<string, object?> attributes)
    {
        var builder = new AttributeSetBuilder(attributes.Count);
        foreach (var pair in attributes)
        {
            builder.Add(pair.Key, pair.Value);
        }

        return builder.Build();
    }

    private static UserAttribute[] Read(IDictionary attributes)
    {
        var builder = new AttributeSetBuilder(attributes.Count);
        foreach (DictionaryEntry entry in attributes)
        {
            if (entry.Key is not string name)
            {
                throw ValidationErrors.AttributeKeyNotString(entry.Key.GetType());
            }

            builder.Add(name, entry.Value);
        }

        return builder.Build();
    }

    [RequiresUnreferencedCode(ReflectionMessage)]
    private static UserAttribute[] ReadProperties(object attributes)
    {
        // The property list is looked up once per type; on modern .NET PropertyInfo.GetValue then runs
        // through a generated invoker, so each later call costs a few nanoseconds per property.
        var properties = PropertyCache.GetOrAdd(attributes.GetType(), GetReadableProperties)
            ?? throw ValidationErrors.NotAnAttributeObject(attributes.GetType());
        var builder = new AttributeSetBuilder(properties.Length);
        foreach (var property in properties)
        {
            builder.Add(property.Name, property.GetValue(attributes));
        }

        return builder.Build();
    }

    [RequiresUnreferencedCode(ReflectionMessage)]
    private static PropertyInfo[]? GetReadableProperties(Type type)
    {
        // A string's Length or an array's SyncRoot are not attributes the caller meant to send.
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || typeof(IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }

        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.GetMethod is { IsPublic: true })
            .ToArray();
    }
}
