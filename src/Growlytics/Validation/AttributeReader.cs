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

    public static UserAttribute[] Read(IReadOnlyDictionary<string, object?> attributes, AttributeLimits? limits = null)
    {
        if (attributes is UserAttributes typed)
        {
            return Read(typed, limits);
        }

        var builder = new AttributeSetBuilder(attributes.Count, limits ?? AttributeLimits.Batch);
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

    public static UserAttribute[] Read(UserAttributes attributes, AttributeLimits? limits = null)
    {
        var builder = new AttributeSetBuilder(attributes.Count, limits ?? AttributeLimits.Batch);
        foreach (var pair in attributes)
        {
            builder.Add(pair.Key, pair.Value);
        }

        return builder.Build();
    }

    [RequiresUnreferencedCode(ReflectionMessage)]
    public static UserAttribute[] Read(object attributes, AttributeLimits? limits = null)
    {
        switch (attributes)
        {
            case UserAttributes typed:
                return Read(typed, limits);
            case IReadOnlyDictionary<string, object?> dictionary:
                return Read(dictionary, limits);
            case IDictionary dictionary:
                return Read(dictionary, limits);
            case IDictionary<string, object?> pairs:
                // IDictionary<string, object> without the read-only interface, such as ExpandoObject.
                return Read(pairs, limits);
            default:
                return ReadProperties(attributes, limits);
        }
    }

    private static UserAttribute[] Read(IDictionary<string, object?> attributes, AttributeLimits? limits)
    {
        var builder = new AttributeSetBuilder(attributes.Count, limits ?? AttributeLimits.Batch);
        foreach (var pair in attributes)
        {
            builder.Add(pair.Key, pair.Value);
        }

        return builder.Build();
    }

    private static UserAttribute[] Read(IDictionary attributes, AttributeLimits? limits)
    {
        var builder = new AttributeSetBuilder(attributes.Count, limits ?? AttributeLimits.Batch);
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
    private static UserAttribute[] ReadProperties(object attributes, AttributeLimits? limits)
    {
        // The property list is looked up once per type; on modern .NET PropertyInfo.GetValue then runs
        // through a generated invoker, so each later call costs a few nanoseconds per property.
        var properties = PropertyCache.GetOrAdd(attributes.GetType(), GetReadableProperties)
            ?? throw ValidationErrors.NotAnAttributeObject(attributes.GetType());
        var builder = new AttributeSetBuilder(properties.Length, limits ?? AttributeLimits.Batch);
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
