using System.Numerics;

namespace GrowlyticsSdk.Validation;

/// <summary>
/// The size bound of a number attribute, checked at the call: at most <see cref="MaxDigits"/> decimal digits. Only a
/// <see cref="BigInteger"/> can exceed it (<c>decimal</c> has at most 29 digits, <c>Int128</c>/<c>UInt128</c> 39, and a
/// <c>double</c> is written in at most 24 characters); the bound keeps every message far within a request and within
/// the storage format's record limit, whatever the app passes.
/// </summary>
internal static class NumberLimits
{
    /// <summary>The most decimal digits a number attribute may have (the sign not counted).</summary>
    public const int MaxDigits = 1000;

    // 10^1000: the smallest magnitude with 1,001 digits.
    private static readonly BigInteger TooLarge = BigInteger.Pow(10, MaxDigits);

    /// <summary>Gets a value indicating whether <paramref name="value"/> has at most <see cref="MaxDigits"/> digits.</summary>
    public static bool IsWithinLimit(BigInteger value) => value < TooLarge && value > -TooLarge;
}
