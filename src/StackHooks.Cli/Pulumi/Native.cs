using System.Reflection;
using System.Runtime.InteropServices;

namespace StackHooks.Cli.Pulumi;

/// <summary>The few POSIX calls .NET has no API for: sending a signal to a process, and asking the terminal who has the keyboard.</summary>
internal static partial class Native
{
    private const string LibC = "libc";

    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    static Native()
    {
        // "libc" is not a file name on every system (libc.so is only there with the C headers installed): map it.
        NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when that failed (the process is gone).</summary>
    public static bool SendSignal(int pid, int signal) => !OperatingSystem.IsWindows() && Kill(pid, signal) == 0;

    /// <summary>
    /// True when standard input is a terminal whose foreground process group is ours: a Ctrl-C typed there reaches every
    /// process of the group, pulumi included, so passing SIGINT on as well would make pulumi see it twice (and a second
    /// Ctrl-C makes pulumi stop at once, without cleaning up).
    /// </summary>
    public static bool KeyboardReachesChildren()
    {
        if (OperatingSystem.IsWindows())
        {
            return true; // a console's Ctrl-C goes to every process attached to it
        }

        try
        {
            return !Console.IsInputRedirected && TerminalForegroundGroup(0) == ProcessGroup();
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != LibC)
        {
            return IntPtr.Zero;
        }

        foreach (var candidate in OperatingSystem.IsMacOS() ? ["libSystem.dylib"] : new[] { "libc.so.6", "libc.so", "libc" })
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle))
            {
                return handle;
            }
        }

        return IntPtr.Zero;
    }

    [LibraryImport(LibC, EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport(LibC, EntryPoint = "tcgetpgrp")]
    private static partial int TerminalForegroundGroup(int fd);

    [LibraryImport(LibC, EntryPoint = "getpgrp")]
    private static partial int ProcessGroup();
}
