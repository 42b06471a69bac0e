namespace GrowlyticsSdk.Serialization;

/// <summary>
/// A number read back from storage as the JSON text it was written as: written again digit for digit, whatever its
/// original type (a <see cref="System.Numerics.BigInteger"/>, a <see cref="decimal"/>, a <see cref="float"/>).
/// </summary>
internal sealed class NumberText
{
    public NumberText(string text) => Text = text;

    public string Text { get; }

    public override string ToString() => Text;
}
