// V9_CopyReceiver's state file: what must survive a restart of the strategy itself (disabled and
// enabled again, NinjaTrader restarted), so that the first CONNECT resumes with Last_ID/Epoch and
// no id runs twice on an account. Written atomically (a temp file, then a rename over the old
// one) by its own thread, which always writes the latest state offered (a write takes ~0.3 ms
// and more on a busy disk: the executor must not wait for it). A missing, unreadable or
// malformed file means "start fresh", said once in the log. Plain System.IO and
// System.Threading from .NET Framework 4.8; C# 5, like the rest.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;

namespace NinjaTrader.NinjaScript.Strategies
{
    /// <summary>The resume state at one moment: epoch (-1 = none), the highest id whose handling
    /// finished, the id every account has executed up to, and per account the last id executed.</summary>
    internal sealed class V9CopySaved
    {
        public long Epoch = -1;
        public long High = -1;
        public long Floor;
        public readonly Dictionary<string, long> Last = new Dictionary<string, long>();
    }

    /// <summary>Reads and writes the state file. Format (UTF-8 lines; account names never
    /// contain '|'): "V9_CopyReceiver state|1", "epoch|e", "high|h", "floor|f", one
    /// "account|id|name" per account, then "end|count" so a truncated file is detected.</summary>
    internal sealed class V9CopyStateFile
    {
        const string Magic = "V9_CopyReceiver state|1";
        const int MaxBytes = 1 << 20;     // far above 1,000 accounts; a bigger file is not ours
        const int MaxAccounts = 10000;
        static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

        readonly string path;
        readonly Action<string> log;
        readonly object gate = new object();
        V9CopySaved next;   // the latest state offered, not written yet
        Thread writer;      // started by the first Offer
        bool closing;
        int failures;       // writer thread only

        /// <summary>path null or empty = no state file (ids kept in memory only).</summary>
        public V9CopyStateFile(string path, Action<string> log)
        {
            this.path = string.IsNullOrWhiteSpace(path) ? null : path.Trim();
            this.log = log;
        }

        public string Path { get { return path; } }

        /// <summary>The saved state, or null (missing, unreadable or malformed: start fresh).</summary>
        public V9CopySaved Load()
        {
            if (path == null)
                return null;
            try
            {
                if (!File.Exists(path))
                {
                    log("no state file at " + path + ": starting fresh");
                    return null;
                }
                if (new FileInfo(path).Length > MaxBytes)
                    return Corrupt("larger than " + MaxBytes + " bytes");
                string why;
                V9CopySaved s = Parse(File.ReadAllText(path, Encoding.UTF8), out why);
                if (s == null)
                    return Corrupt(why);
                log("state file " + path + " read: epoch " + s.Epoch + ", last id " + s.High + ", "
                    + s.Last.Count + " account(s)");
                return s;
            }
            catch (Exception e)
            {
                return Corrupt(e.GetType().Name + ": " + e.Message);
            }
        }

        V9CopySaved Corrupt(string why)
        {
            log("state file " + path + " unusable (" + why + "): starting fresh, as on a first start");
            return null;
        }

        /// <summary>Parses the file's text; null with the reason when anything is off.</summary>
        public static V9CopySaved Parse(string text, out string why)
        {
            var s = new V9CopySaved();
            string[] lines = text.Replace("\r\n", "\n").Split('\n');
            why = null;
            if (lines.Length < 5 || lines[0] != Magic)
            {
                why = "not a V9_CopyReceiver state file";
                return null;
            }
            if (!Number(lines[1], "epoch", true, out s.Epoch) || !Number(lines[2], "high", true, out s.High)
                || !Number(lines[3], "floor", false, out s.Floor))
            {
                why = "bad header line";
                return null;
            }
            int i = 4;
            for (; i < lines.Length && lines[i].StartsWith("account|", StringComparison.Ordinal); i++)
            {
                string[] f = lines[i].Split(new[] { '|' }, 3);
                long id;
                if (f.Length != 3 || f[2].Length == 0 || !long.TryParse(f[1], NumberStyles.None, Inv, out id)
                    || s.Last.ContainsKey(f[2]) || s.Last.Count >= MaxAccounts)
                {
                    why = "bad account line " + (i + 1);
                    return null;
                }
                s.Last[f[2]] = id;
            }
            long count;
            if (i >= lines.Length || !Number(lines[i], "end", false, out count) || count != s.Last.Count)
            {
                why = "truncated (no matching end line)";
                return null;
            }
            return s;
        }

        static bool Number(string line, string key, bool allowNone, out long v)
        {
            v = -1;
            string prefix = key + "|";
            if (!line.StartsWith(prefix, StringComparison.Ordinal))
                return false;
            string n = line.Substring(prefix.Length);
            if (allowNone && n == "-1")
                return true;
            return long.TryParse(n, NumberStyles.None, Inv, out v);
        }

        public static string Format(V9CopySaved s)
        {
            var b = new StringBuilder(Magic).Append('\n');
            b.Append("epoch|").Append(s.Epoch.ToString(Inv)).Append('\n');
            b.Append("high|").Append(s.High.ToString(Inv)).Append('\n');
            b.Append("floor|").Append(s.Floor.ToString(Inv)).Append('\n');
            foreach (KeyValuePair<string, long> kv in s.Last)
                b.Append("account|").Append(kv.Value.ToString(Inv)).Append('|').Append(V9CopyProtocol.Clean(kv.Key)).Append('\n');
            b.Append("end|").Append(s.Last.Count.ToString(Inv)).Append('\n');
            return b.ToString();
        }

        /// <summary>Hands s to the writer thread (never blocks on the disk). States offered
        /// faster than they can be written are conflated: only the latest is written.</summary>
        public void Offer(V9CopySaved s)
        {
            if (path == null)
                return;
            lock (gate)
            {
                if (closing)
                    return;
                next = s;
                if (writer == null)
                {
                    writer = new Thread(WriteLoop) { IsBackground = true, Name = "V9CopyReceiver state file" };
                    writer.Start();
                }
                Monitor.PulseAll(gate);
            }
        }

        /// <summary>At stop: writes what was offered last, waiting up to timeout for it.</summary>
        public void Close(TimeSpan timeout)
        {
            Thread t;
            lock (gate)
            {
                closing = true;
                Monitor.PulseAll(gate);
                t = writer;
            }
            if (t != null && !t.Join(timeout))
                log("state file " + path + ": the last write did not finish within " + timeout.TotalSeconds + " s");
        }

        void WriteLoop()
        {
            while (true)
            {
                V9CopySaved s;
                lock (gate)
                {
                    while (next == null && !closing)
                        Monitor.Wait(gate);
                    if (next == null)
                        return; // closing, and everything offered is written
                    s = next;
                    next = null;
                }
                Save(s);
            }
        }

        /// <summary>Writes s to a temp file next to the state file, then renames it over the old
        /// one, so a crash leaves either the old or the new file, never half of one. A failure is
        /// logged (at most 20 times, then one in 100) and the strategy carries on.</summary>
        void Save(V9CopySaved s)
        {
            try
            {
                string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
                if (!string.IsNullOrEmpty(dir))
                    Directory.CreateDirectory(dir);
                string tmp = path + ".tmp";
                File.WriteAllText(tmp, Format(s), new UTF8Encoding(false));
                if (File.Exists(path))
                    File.Replace(tmp, path, null); // .NET Framework's File.Move cannot overwrite
                else
                    File.Move(tmp, path);
            }
            catch (Exception e)
            {
                int n = ++failures;
                if (n <= 20 || n % 100 == 0)
                    log("state file " + path + " not written (" + e.GetType().Name + ": " + e.Message + ")"
                        + (n > 1 ? ", failure " + n : "") + ": a restart now may run the last ids again");
            }
        }
    }
}
