using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Ferry.Testing;

/// <summary>
/// Loopback ports for test servers that bind some time after the port is chosen. A port the kernel picks
/// for "bind to 0" lies in its ephemeral range, where any outgoing connection of any test process may take
/// it before the server binds (CI saw "address already in use"); below that range Aspire hands out its own
/// services' ports (10000–32767), and CI saw one of those take a port chosen there. These come from just
/// above the ephemeral range, and are handed out in turn across every test process on the machine through a
/// counter file held under an exclusive lock, so two processes never get the same one and nobody else does.
/// </summary>
public static class LoopbackPorts
{
    private const int MaxPoolSize = 10_000;
    private static readonly string CounterFile = Path.Combine(Path.GetTempPath(), "ferry-test-ports.counter");
    private static readonly (int Start, int Size)? Pool = FindPool();

    /// <summary>A loopback port nothing listens on, not handed out before by this machine's recent test runs.</summary>
    public static int Next()
    {
        if (Pool is not { } pool)
        {
            return KernelChosenPort();
        }

        var (start, size) = pool;

        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = start + TakeTicket(size);
            if (IsFree(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"No free loopback port in {start}–{start + size - 1} after 100 tries.");
    }

    /// <summary>The pool sits above the ephemeral range when there is room (Linux: /proc/sys/net/ipv4/ip_local_port_range).</summary>
    private static (int Start, int Size)? FindPool()
    {
        const string RangeFile = "/proc/sys/net/ipv4/ip_local_port_range";
        if (!File.Exists(RangeFile))
        {
            return null;
        }

        var last = int.Parse(File.ReadAllText(RangeFile).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        var size = Math.Min(MaxPoolSize, IPEndPoint.MaxPort - last);
        return size >= 1_000 ? (last + 1, size) : null;
    }

    private static int TakeTicket(int size)
    {
        for (var wait = 0; ; wait++)
        {
            try
            {
                // FileShare.None is an exclusive lock on the file across processes (flock on Unix).
                using var file = new FileStream(CounterFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                Span<byte> counter = stackalloc byte[4];
                var ticket = file.Read(counter) == counter.Length
                    ? BinaryPrimitives.ReadInt32LittleEndian(counter) % size
                    : Random.Shared.Next(size);
                BinaryPrimitives.WriteInt32LittleEndian(counter, (ticket + 1) % size);
                file.Position = 0;
                file.Write(counter);
                return ticket;
            }
            catch (IOException) when (wait < 2_000)
            {
                Thread.Sleep(1);
            }
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int KernelChosenPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
