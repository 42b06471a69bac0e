using GrowlyticsSdk.Messages;
using GrowlyticsSdk.Validation;

namespace GrowlyticsSdk.Sessions;

/// <summary>
/// The attributes one anonymous session pushed under <see cref="GrowlyticsProtocol.Rest"/>, held for its login: merged
/// by name (a later value wins, the first position is kept) and counting the pushes they came from. Not thread-safe:
/// the owner (the session's lock, or the store's) guards it.
/// </summary>
internal sealed class HeldAttributes
{
    private readonly List<UserAttribute> _items;
    private readonly Dictionary<string, int> _index;

    public HeldAttributes()
        : this([], 0)
    {
    }

    /// <summary>Restores a held set (from the session file); the names are distinct.</summary>
    public HeldAttributes(UserAttribute[] items, int calls)
    {
        _items = new List<UserAttribute>(items);
        _index = new Dictionary<string, int>(items.Length, StringComparer.Ordinal);
        for (var i = 0; i < items.Length; i++)
        {
            _index[items[i].Name] = i;
            EstimatedBytes += items[i].EstimatedBytes;
        }

        Calls = calls;
    }

    /// <summary>Gets how many pushes the held attributes came from (each settles as one call).</summary>
    public int Calls { get; private set; }

    /// <summary>Gets an estimate of the memory the held attributes take (<see cref="UserAttribute.EstimatedBytes"/>, summed).</summary>
    public long EstimatedBytes { get; private set; }

    /// <summary>Gets the number of distinct attribute names held.</summary>
    public int Count => _items.Count;

    /// <summary>Gets the number of distinct names after merging <paramref name="attributes"/> (whose names are distinct).</summary>
    public int CountAfterMerge(UserAttribute[] attributes)
    {
        var count = _items.Count;
        foreach (var attribute in attributes)
        {
            if (!_index.ContainsKey(attribute.Name))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Merges one push: its values replace held values of the same name.</summary>
    public void Merge(UserAttribute[] attributes)
    {
        foreach (var attribute in attributes)
        {
            if (_index.TryGetValue(attribute.Name, out var at))
            {
                EstimatedBytes -= _items[at].EstimatedBytes;
                _items[at] = attribute;
            }
            else
            {
                _index[attribute.Name] = _items.Count;
                _items.Add(attribute);
            }

            EstimatedBytes += attribute.EstimatedBytes;
        }

        Calls++;
    }

    public UserAttribute[] ToArray() => [.. _items];

    /// <summary>
    /// The attributes a login sends: the held ones, then <paramref name="attributes"/> (the login's own), which win over
    /// held values of the same name.
    /// </summary>
    public UserAttribute[] MergedWith(UserAttribute[] attributes)
    {
        var merged = new HeldAttributes(ToArray(), 0);
        merged.Merge(attributes);
        return merged.ToArray();
    }
}
