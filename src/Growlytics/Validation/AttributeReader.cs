using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using GrowlyticsSdk.Messages;

namespace GrowlyticsSdk.Validation;

/// <summary>Turns each accepted shape of attributes into a validated attribute array.</summary>
internal static class AttributeReader
{
    private const string ReflectionMessage =
        "Reads the public properties of the object's runtime type by reflection, which trimming may remove. In trimmed or "
        + "AOT apps read the object through the generic overload (its type known at compile time), or pass an "
        + "IReadOnlyDictionary<string, object?> or UserAttributes.";

    // Null for a type that is not an attributes object (a string, a number, a sequence), decided once per type. Never a
    // collectible type (see PropertiesOfRuntimeType).
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]?> PropertyCache = new();
#if !NET
    // netstandard2.0 names no IsCollectible; the runtimes that can unload an assembly (.NET Core 3.0 and later) have it.
    private static readonly PropertyInfo? IsCollectibleProperty = typeof(MemberInfo).GetProperty("IsCollectible");
#endif

    public static UserAttribute[] Read(IReadOnlyDictionary<string, object?> attributes, AttributeLimits? limits = null)
    {
        if (attributes is UserAttributes typed)
        {
            return Read(typed, limits);
        }

        if (attributes is not Dictionary<string, object?> concrete)
        {
            return ReadPairs(attributes, limits);
        }

        try
        {
            // The common case, enumerated without boxing the enumerator. Its keys are distinct under any string comparer
            // (one that finds a string equal to itself); another comparer's may repeat a name.
            var comparer = concrete.Comparer;
            var builder = new AttributeSetBuilder(concrete.Count, limits ?? AttributeLimits.Batch, ReferenceEquals(comparer, EqualityComparer<string>.Default) || comparer is StringComparer);
            foreach (var pair in concrete)
            {
                builder.Add(pair.Key, pair.Value);
            }

            return builder.Build();
        }
        catch (Exception ex) when (IsFromTheSource(ex))
        {
            throw ValidationErrors.DictionaryUnreadable(attributes.GetType(), ex);
        }
    }

    public static UserAttribute[] Read(UserAttributes attributes, AttributeLimits? limits = null)
    {
        var builder = new AttributeSetBuilder(attributes.Count, limits ?? AttributeLimits.Batch, namesAreUnique: true);
        foreach (var pair in attributes)
        {
            builder.Add(pair.Key, pair.Value);
        }

        return builder.Build();
    }

    // What a dictionary's own code throws (its count, its enumerator, a change by another thread during the call)
    // becomes a validation error naming the dictionary's type, as a property getter's does; the SDK's own errors pass.
    private static bool IsFromTheSource(Exception ex) => ex is not (GrowlyticsValidationException or OutOfMemoryException);

    [RequiresUnreferencedCode(ReflectionMessage)]
    public static UserAttribute[] Read(object attributes, AttributeLimits? limits = null) =>
        TryReadDictionary(attributes, limits) ?? ReadProperties(attributes, PropertiesOfRuntimeType(attributes.GetType()), limits);

    /// <summary>
    /// Reads the public properties of <typeparamref name="T"/> (the declared type, as <c>JsonSerializer.Serialize&lt;T&gt;</c>
    /// does), which the annotation keeps in trimmed and native AOT apps; dictionaries still take the dictionary path. For
    /// <c>T</c> = <see cref="object"/> (a helper that forwards an <c>object</c>) the declared type has no properties, so the
    /// object's own type is read, as the object overload and <c>JsonSerializer.Serialize&lt;object&gt;</c> read it.
    /// </summary>
    public static UserAttribute[] Read<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(T attributes, AttributeLimits? limits = null) =>
        TryReadDictionary(attributes!, limits)
        ?? ReadProperties(attributes!, typeof(T) == typeof(object) ? RuntimeProperties(attributes!) : PropertiesOf<T>.Value, limits);

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "With T = object the annotation keeps nothing: the object's own type is read, as Push(object) reads it; a trimmed app that removed its properties is told so (NoReadableProperties).")]
    private static PropertyInfo[]? RuntimeProperties(object attributes) => PropertiesOfRuntimeType(attributes.GetType());

    // A type of a collectible assembly (a plug-in's AssemblyLoadContext that unloads, a RunAndCollect dynamic assembly) is
    // read every time instead: kept in the process-wide cache, it kept its assembly, and everything that assembly loaded,
    // for the life of the process (each plug-in loaded and unloaded stayed).
    [RequiresUnreferencedCode(ReflectionMessage)]
    private static PropertyInfo[]? PropertiesOfRuntimeType(Type type) =>
        PropertyCache.TryGetValue(type, out var cached) ? cached
        : IsCollectible(type) ? GetReadableProperties(type)
        : PropertyCache.GetOrAdd(type, GetReadableProperties);

#if NET
    private static bool IsCollectible(Type type) => type.IsCollectible;
#else
    private static bool IsCollectible(Type type) => IsCollectibleProperty?.GetValue(type) is true;
#endif

    private static UserAttribute[]? TryReadDictionary(object attributes, AttributeLimits? limits) => attributes switch
    {
        UserAttributes typed => Read(typed, limits),
        IReadOnlyDictionary<string, object?> dictionary => Read(dictionary, limits),
        IDictionary dictionary => Read(dictionary, limits),

        // IDictionary<string, object> without the read-only interface, such as ExpandoObject.
        IDictionary<string, object?> pairs => Read(pairs, limits),
        _ => null,
    };

    private static UserAttribute[] Read(IDictionary<string, object?> attributes, AttributeLimits? limits) =>
        ReadPairs(attributes, limits);

    // A dictionary of another kind (read-only or not): its names are checked for repeats, its faults become validation errors.
    private static UserAttribute[] ReadPairs(IEnumerable<KeyValuePair<string, object?>> pairs, AttributeLimits? limits)
    {
        try
        {
            var count = pairs switch
            {
                IReadOnlyCollection<KeyValuePair<string, object?>> readOnly => readOnly.Count,
                ICollection<KeyValuePair<string, object?>> collection => collection.Count,
                _ => 0,
            };
            var builder = new AttributeSetBuilder(count, limits ?? AttributeLimits.Batch);
            foreach (var pair in pairs)
            {
                builder.Add(pair.Key, pair.Value);
            }

            return builder.Build();
        }
        catch (Exception ex) when (IsFromTheSource(ex))
        {
            throw ValidationErrors.DictionaryUnreadable(pairs.GetType(), ex);
        }
    }

    private static UserAttribute[] Read(IDictionary attributes, AttributeLimits? limits)
    {
        try
        {
            var builder = new AttributeSetBuilder(attributes.Count, limits ?? AttributeLimits.Batch);
            foreach (DictionaryEntry entry in attributes)
            {
                // A null key (possible in a custom dictionary) is an empty name, as in the generic dictionaries.
                if (entry.Key is not (string or null))
                {
                    throw ValidationErrors.AttributeKeyNotString(entry.Key.GetType());
                }

                builder.Add((string)entry.Key!, entry.Value);
            }

            return builder.Build();
        }
        catch (Exception ex) when (IsFromTheSource(ex))
        {
            throw ValidationErrors.DictionaryUnreadable(attributes.GetType(), ex);
        }
    }

    private static UserAttribute[] ReadProperties(object attributes, PropertyInfo[]? properties, AttributeLimits? limits)
    {
        if (properties is null)
        {
            throw ValidationErrors.NotAnAttributeObject(attributes.GetType());
        }

        if (properties.Length == 0)
        {
            // Never an empty update: the object has nothing to send, or the trimmer removed what it had.
            throw ValidationErrors.NoReadableProperties(attributes.GetType());
        }

        // On modern .NET PropertyInfo.GetValue runs through a generated invoker, so each call costs a few nanoseconds.
        // One property per name (see Readable).
        var builder = new AttributeSetBuilder(properties.Length, limits ?? AttributeLimits.Batch, namesAreUnique: true);
        foreach (var property in properties)
        {
            builder.Add(property.Name, GetValue(property, attributes));
        }

        return builder.Build();
    }

    private static object? GetValue(PropertyInfo property, object attributes)
    {
        try
        {
            return property.GetValue(attributes);
        }
#pragma warning disable CA1031 // Whatever the app's getter throws becomes a validation error naming the property.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var cause = ex is TargetInvocationException { InnerException: { } inner } ? inner : ex;
            throw ValidationErrors.PropertyUnreadable(property.Name, cause);
        }
    }

    [RequiresUnreferencedCode(ReflectionMessage)]
    private static PropertyInfo[]? GetReadableProperties(Type type) => IsAttributeObjectType(type) ? Readable(type.GetProperties(BindingFlags.Public | BindingFlags.Instance)) : null;

    /// <summary>
    /// Decides which types can carry attributes in their properties: not a value (a string's <c>Length</c>, a number, a
    /// date), not a sequence (an array's <c>SyncRoot</c>), and not a runtime object whose properties are not data and may
    /// throw or block (reflection objects such as <see cref="Type"/>, delegates, pointers, tasks). No type of the
    /// framework's own (in a <c>System</c> or <c>Microsoft</c> namespace) is an attributes object either: their properties
    /// describe a value or a runtime object (<c>TimeOnly.Hour</c>, <c>Nullable&lt;T&gt;.HasValue</c>,
    /// <c>KeyValuePair.Key</c>, <c>Uri.Host</c>, an <c>HttpContext</c>'s request), not the app's attributes, and would
    /// become attributes whose type Growlytics then keeps.
    /// </summary>
    private static bool IsAttributeObjectType(Type type) =>
        !(type.IsPrimitive || type.IsEnum || type.IsPointer || IsFrameworkType(type)
            || type == typeof(string) || type == typeof(decimal) || type == typeof(System.Numerics.BigInteger)
            || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(Guid)
            || typeof(IEnumerable).IsAssignableFrom(type)
            || typeof(MemberInfo).IsAssignableFrom(type) || typeof(Assembly).IsAssignableFrom(type)
            || typeof(Module).IsAssignableFrom(type) || typeof(ParameterInfo).IsAssignableFrom(type)
            || typeof(Delegate).IsAssignableFrom(type) || type == typeof(Pointer)
            || typeof(Task).IsAssignableFrom(type) || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>)) || type == typeof(ValueTask));

    // (A plain object is left to the rule for objects without properties, which says so.)
    private static bool IsFrameworkType(Type type) =>
        type != typeof(object) && type.Namespace is { } ns
        && (ns is "System" or "Microsoft" || ns.StartsWith("System.", StringComparison.Ordinal) || ns.StartsWith("Microsoft.", StringComparison.Ordinal));

    /// <summary>
    /// The readable properties, one per name: a property a derived type hides with <c>new</c> is read from the derived
    /// type only (as <c>JsonSerializer</c> does), so one call never carries the same attribute name twice.
    /// </summary>
    private static PropertyInfo[] Readable(PropertyInfo[] properties)
    {
        var readable = new List<PropertyInfo>(properties.Length);
        foreach (var property in properties)
        {
            if (!property.CanRead || property.GetIndexParameters().Length != 0 || property.GetMethod is not { IsPublic: true })
            {
                continue;
            }

            var same = readable.FindIndex(p => string.Equals(p.Name, property.Name, StringComparison.Ordinal));
            if (same < 0)
            {
                readable.Add(property);
            }
            else if (property.DeclaringType is { } declaring && readable[same].DeclaringType is { } kept && declaring.IsSubclassOf(kept))
            {
                readable[same] = property;
            }
        }

        return readable.ToArray();
    }

    /// <summary>
    /// The readable properties of <typeparamref name="T"/>, found once per type and kept by the trimmer. For an interface,
    /// those of the interfaces it extends too, after its own (as <c>JsonSerializer.Serialize&lt;T&gt;</c> reads them):
    /// <see cref="Type.GetProperties(BindingFlags)"/> gives an interface's own only.
    /// </summary>
    private static class PropertiesOf<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>
    {
        // A nullable struct arrives boxed as its underlying struct: its properties are read (as the object overload does),
        // not Nullable<T>'s.
        public static readonly PropertyInfo[]? Value = Nullable.GetUnderlyingType(typeof(T)) is { } underlying ? UnderlyingProperties(underlying)
            : !IsAttributeObjectType(typeof(T)) ? null
            : typeof(T).IsInterface ? Readable([.. typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance), .. InheritedInterfaceProperties(typeof(T))])
            : Readable(typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance));
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The annotation on T does not reach a nullable struct's underlying type; a trimmed app that removed its properties is told so (NoReadableProperties).")]
    private static PropertyInfo[]? UnderlyingProperties(Type underlying) => GetReadableProperties(underlying);

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "A trimmed app may lose a base interface's property that nothing else uses; it is then not read, as before this lookup. The annotated type's own properties are kept.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "As above.")]
    private static IEnumerable<PropertyInfo> InheritedInterfaceProperties(Type type) =>
        type.GetInterfaces().SelectMany(inherited => inherited.GetProperties(BindingFlags.Public | BindingFlags.Instance));
}
