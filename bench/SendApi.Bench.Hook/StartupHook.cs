// Loaded by the runtime before SendApi's Main when DOTNET_STARTUP_HOOKS names this assembly. It
// writes the bytes the process has allocated so far, and its garbage collections, to the file in
// SENDAPI_BENCH_ALLOCATIONS a few times a second, so that the bench can count what a message
// allocates in any build of SendApi, one from before this hook existed included. Allocation is
// close to deterministic where CPU time moves with the machine's load. After those four numbers,
// what the last collection left: the managed heap's size, its fragmentation (free space between
// live objects) and the memory the GC has committed, so that the queued-memory run can tell the
// managed heap from the rest of the resident set; last, the heap's size after the last full blocking
// collection; then the time the process has spent paused for collections (microseconds, all of them)
// and the longest single pause seen (the last collection's, read at each report, so a pause can be missed
// only when two collections fall within one report's 100 ms). When a file named as the report plus ".collect" appears, the hook makes a full
// compacting collection (and deletes the file), so that the run can read what is live: what SendApi
// holds, without the garbage a collection has yet to find.
using System.Globalization;
using System.Runtime;

#pragma warning disable CA1050 // The runtime looks for a type named StartupHook outside any namespace.
internal static class StartupHook
#pragma warning restore CA1050
{
    public static void Initialize()
    {
        var path = Environment.GetEnvironmentVariable("SENDAPI_BENCH_ALLOCATIONS");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        var thread = new Thread(() =>
        {
            long lastIndex = -1;
            var longestPause = TimeSpan.Zero;
            while (true)
            {
                if (File.Exists(path + ".collect"))
                {
                    GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                    File.Delete(path + ".collect");
                }

                var heap = GC.GetGCMemoryInfo();
                if (heap.Index != lastIndex)
                {
                    lastIndex = heap.Index;
                    // A background collection pauses twice; each pause is what a request waits for.
                    foreach (var pause in heap.PauseDurations)
                    {
                        longestPause = pause > longestPause ? pause : longestPause;
                    }
                }

                var line = string.Create(CultureInfo.InvariantCulture,
                    $"{GC.GetTotalAllocatedBytes(precise: false)} {GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)} {heap.HeapSizeBytes} {heap.FragmentedBytes} {heap.TotalCommittedBytes} {GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes} {(long)GC.GetTotalPauseDuration().TotalMicroseconds} {(long)longestPause.TotalMicroseconds}");
                File.WriteAllText(path + ".tmp", line);
                File.Move(path + ".tmp", path, overwrite: true);
                Thread.Sleep(100);
            }
        })
        { IsBackground = true, Name = "bench allocation report" };
        thread.Start();
    }
}
