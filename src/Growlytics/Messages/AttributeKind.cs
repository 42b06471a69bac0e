namespace GrowlyticsSdk.Messages;

/// <summary>The Growlytics data type of an attribute value, as written in the wire <c>type</c> field.</summary>
internal enum AttributeKind : byte
{
    String,
    Number,
    Boolean,
    Date,
}
