// AppHost orchestrates local processes with POSIX signals, /proc and setpriv: it runs on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
