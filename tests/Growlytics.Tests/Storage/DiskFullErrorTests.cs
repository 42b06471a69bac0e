using System.Runtime.InteropServices;
using GrowlyticsSdk.Storage;

namespace GrowlyticsSdk.Tests.Storage;

/// <summary>Which write failures are a lack of room (tried again in smaller writes), by the platform's error numbers.</summary>
public sealed class DiskFullErrorTests
{
    [Fact]
    public void IsDiskFull_NoSpaceOrWindowsDiskFull_IsALackOfRoom()
    {
        StorageFiles.IsDiskFull(new IOException("no space", 28)).Should().BeTrue("ENOSPC is 28 on Linux, macOS and the BSDs");
        StorageFiles.IsDiskFull(new IOException("disk full", unchecked((int)0x80070070))).Should().BeTrue("ERROR_DISK_FULL");
        StorageFiles.IsDiskFull(new IOException("disk full", unchecked((int)0x80070027))).Should().BeTrue("ERROR_HANDLE_DISK_FULL");
    }

    [Fact]
    public void IsDiskFull_QuotaExceeded_IsALackOfRoomByThePlatformsNumber()
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            StorageFiles.IsDiskFull(new IOException("quota", 122)).Should().BeTrue("EDQUOT is 122 on Linux");
            StorageFiles.IsDiskFull(new IOException("srmount", 69)).Should().BeFalse("69 is ESRMNT on Linux");
        }
        else if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
        {
            StorageFiles.IsDiskFull(new IOException("quota", 69)).Should().BeTrue("EDQUOT is 69 on macOS");
        }
        else
        {
            StorageFiles.IsDiskFull(new IOException("not an error number here", 69)).Should().BeFalse("Windows reports a full quota as ERROR_DISK_FULL");
        }
    }

    [Fact]
    public void IsDiskFull_OtherFailures_AreNot()
    {
        StorageFiles.IsDiskFull(new IOException("i/o error", 5)).Should().BeFalse("EIO is not a lack of room");
        StorageFiles.IsDiskFull(new IOException("sharing violation", unchecked((int)0x80070020))).Should().BeFalse();
        StorageFiles.IsDiskFull(new UnauthorizedAccessException("denied")).Should().BeFalse();
    }
}
