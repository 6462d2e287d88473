// V9_CopyReceiver's memory across reconnects and its account routing: the Accounts: option of
// signals and SYNC (V9CopyRouting), and the epoch, highest id received and per-account last id
// executed that make every reconnect (and, through V9CopyState.cs, every restart) resume without
// running an id twice (V9CopyResume). Pure code: no NinjaTrader API, no I/O. C# 5, like the rest.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace NinjaTrader.NinjaScript.Strategies
{
    /// <summary>The Accounts: option: "a+b" = those accounts at the message's quantity,
    /// "a=2+b=1" = per-account quantities. Account names never contain '+' or '|'.</summary>
    internal static class V9CopyRouting
    {
        /// <summary>Every entry a non-empty name, once, with an optional quantity 0..1000
        /// (an opening signal sized 0 leaves that account untouched, as the engine's model does).</summary>
        public static bool Valid(string list)
        {
            if (string.IsNullOrEmpty(list))
                return false;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string e in list.Split('+'))
            {
                int eq = e.IndexOf('=');
                int q;
                if (eq < 0 ? e.Length == 0 : eq == 0 || !TryQty(e.Substring(eq + 1), out q))
                    return false;
                if (!seen.Add(eq < 0 ? e : e.Substring(0, eq)))
                    return false; // a name twice: which quantity was meant is unknowable
            }
            return true;
        }

        /// <summary>The account names of a valid list.</summary>
        public static IEnumerable<string> Names(string list)
        {
            foreach (string e in list.Split('+'))
            {
                int eq = e.IndexOf('=');
                yield return eq < 0 ? e : e.Substring(0, eq);
            }
        }

        /// <summary>account's quantity under list (null = every account at dflt); false when the
        /// list leaves the account out.</summary>
        public static bool TryQuantity(string list, string account, int dflt, out int qty)
        {
            qty = dflt;
            if (list == null)
                return true;
            foreach (string e in list.Split('+'))
            {
                int eq = e.IndexOf('=');
                if (eq < 0 && e == account)
                    return true;
                if (eq > 0 && e.Substring(0, eq) == account)
                    return TryQty(e.Substring(eq + 1), out qty);
            }
            return false;
        }

        static bool TryQty(string s, out int q)
        {
            q = 0;
            return s.Length > 0 && s.Length <= 4 && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out q)
                && q <= V9CopyProtocol.MaxQuantity;
        }
    }

    /// <summary>What survives reconnects, and through the state file restarts: the server
    /// epoch, the highest id received, and per account the last id executed. A signal executes on
    /// an account only if its id is above that account's last (so no id runs twice on an account,
    /// replayed or not). Called from the reader thread (READY, ids received) and the executor
    /// thread; hence the lock.</summary>
    internal sealed class V9CopyResume
    {
        readonly object gate = new object();
        readonly Dictionary<string, long> last = new Dictionary<string, long>();
        long floor;        // every account has executed up to here (READY on a fresh start, CAUGHT_UP)
        long high = -1;    // highest id received, -1 = none yet
        long handled = -1; // highest id the executor finished with: a restart resumes from here
        long epoch = -1;   // -1 = the server never sent one
        long savedEpoch = -1; // the epoch whose catch-up completed: what a restart may claim
        long version;      // bumped on every change, so the state file is written only when needed
        bool resumed;      // a CONNECT went out before: the next one carries Last_ID/Epoch
        bool fresh = true; // this connection's CONNECT carried no Last_ID
        bool baseServer;   // READY without Epoch: ids restart at 1 with the server, no replay
        bool firstSignal;

        /// <summary>The keys for the next CONNECT ("" on the process's first connect).</summary>
        public string ConnectKeys()
        {
            lock (gate)
            {
                fresh = !resumed;
                firstSignal = true;
                string keys = "";
                if (resumed)
                    keys = "|Last_ID:" + Math.Max(0, high).ToString(CultureInfo.InvariantCulture)
                        + (epoch >= 0 ? "|Epoch:" + epoch.ToString(CultureInfo.InvariantCulture) : "");
                resumed = true;
                return keys;
            }
        }

        /// <summary>READY's Epoch and Last_ID (-1 = absent); returns a line to log, or null.</summary>
        public string Ready(long serverEpoch, long serverLast)
        {
            lock (gate)
            {
                string note = null;
                baseServer = serverEpoch < 0;
                if (epoch >= 0 && serverEpoch >= 0 && serverEpoch != epoch)
                    note = "the server's epoch changed from " + epoch + " to " + serverEpoch + " (it restarted)";
                if (serverEpoch >= 0)
                    epoch = serverEpoch;
                // A resumed connection to a new epoch is caught up only at CAUGHT_UP: until then
                // a restart must still claim the old epoch, so the server sends SYNC again.
                if (fresh || serverEpoch == savedEpoch)
                    savedEpoch = epoch;
                if (fresh && serverLast >= 0)
                {
                    // Live only: ids the server assigned before this receiver came are not ours.
                    last.Clear();
                    floor = serverLast;
                    high = serverLast; // read before any later line: nothing newer was received
                    handled = serverLast;
                }
                version++;
                return note;
            }
        }

        /// <summary>A signal id read from the server (reader thread, in order). True when it shows
        /// that a base server restarted: its first id on a connection is not above the last.</summary>
        public bool Received(long id)
        {
            lock (gate)
            {
                bool restarted = firstSignal && baseServer && high >= 0 && id <= high;
                firstSignal = false;
                if (restarted)
                    high = -1;
                if (id > high)
                    high = id;
                return restarted;
            }
        }

        /// <summary>Executor: a base server restarted; its ids from 1 are new signals.</summary>
        public void IdsRestarted()
        {
            lock (gate)
            {
                last.Clear();
                floor = 0;
                handled = -1;
                version++;
            }
        }

        /// <summary>The "Last_ID in the future" refusal: the server does not know our ids, so
        /// the next connect starts like the first one.</summary>
        public void Forget()
        {
            lock (gate)
            {
                resumed = false;
                version++;
            }
        }

        public bool ShouldExecute(string account, long id)
        {
            lock (gate)
                return id > LastOf(account);
        }

        public void Executed(string account, long id)
        {
            lock (gate)
            {
                last[account] = id;
                version++;
            }
        }

        /// <summary>Executor: it is done with id (executed, skipped or refused).</summary>
        public void Handled(long id)
        {
            lock (gate)
                if (id > handled)
                {
                    handled = id;
                    version++;
                }
        }

        /// <summary>CAUGHT_UP: every account is caught up as of id. After SYNC an assignment (a
        /// server restarted without its journal numbers from 1 again); otherwise at least id.</summary>
        public void CaughtUp(long id, bool sync)
        {
            lock (gate)
            {
                if (sync)
                {
                    last.Clear();
                    floor = id;
                    high = id;
                    handled = id;
                }
                else
                {
                    floor = Math.Max(floor, id);
                    high = Math.Max(high, id);
                    handled = Math.Max(handled, id);
                }
                savedEpoch = epoch;
                firstSignal = false;
                version++;
            }
        }

        public long LastExecuted(string account)
        {
            lock (gate)
                return LastOf(account);
        }

        /// <summary>A change since the version given (the one of the last snapshot written).</summary>
        public long Version
        {
            get { lock (gate) return version; }
        }

        /// <summary>What the state file keeps, and the version it is of.</summary>
        public V9CopySaved Snapshot(out long at)
        {
            lock (gate)
            {
                var s = new V9CopySaved { Epoch = savedEpoch, High = handled, Floor = floor };
                foreach (KeyValuePair<string, long> kv in last)
                    s.Last[kv.Key] = kv.Value;
                at = version;
                return s;
            }
        }

        /// <summary>At start, from the state file: the first CONNECT then resumes like a
        /// reconnect (Last_ID, Epoch), and the ids executed before the restart stay executed.</summary>
        public void Restore(V9CopySaved s)
        {
            lock (gate)
            {
                last.Clear();
                foreach (KeyValuePair<string, long> kv in s.Last)
                    last[kv.Key] = kv.Value;
                floor = s.Floor;
                high = handled = s.High;
                epoch = savedEpoch = s.Epoch;
                resumed = s.High >= 0 || s.Epoch >= 0;
                version++;
            }
        }

        long LastOf(string account)
        {
            long v;
            return last.TryGetValue(account, out v) ? Math.Max(v, floor) : floor;
        }
    }
}
