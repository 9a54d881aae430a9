// The tests drive Docker, Unix file modes and Debian tools: they run on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
