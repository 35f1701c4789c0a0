using System.Buffers.Binary;
using System.Security.Cryptography;

namespace StackHooks.Storage;

/// <summary>
/// Identifiers for rows: UUID version 7 (time-ordered, so indexes stay append-mostly) whose 12 bits after the millisecond
/// are a counter, so ids made by one process in the same millisecond still sort in the order they were made — "newest
/// first" lists then agree with creation order.
/// </summary>
public static class Ids
{
    private static readonly Lock Gate = new();
    private static long lastMilliseconds;
    private static int counter;

    public static string New()
    {
        long milliseconds;
        int sequence;
        lock (Gate)
        {
            milliseconds = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), lastMilliseconds);
            if (milliseconds == lastMilliseconds)
            {
                if (++counter > 0xFFF)
                {
                    milliseconds++; // 4,096 ids in one millisecond: borrow the next one
                    counter = 0;
                }
            }
            else
            {
                counter = RandomNumberGenerator.GetInt32(0, 0x800); // random start, room to count up
            }

            lastMilliseconds = milliseconds;
            sequence = counter;
        }

        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes[8..]);
        BinaryPrimitives.WriteInt64BigEndian(bytes, milliseconds << 16);
        bytes[6] = (byte)(0x70 | (sequence >> 8)); // version 7 and the counter's high bits
        bytes[7] = (byte)sequence;
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
