// V9_CopyReceiver's catch-up after a reconnect or restart: the CONNECT keys that resume (Last_ID,
// Epoch, Accounts), which accounts a signal runs on (its Accounts: routing and the per-account
// dedupe), SYNC (set each targeted account to the target position through the same orders a
// signal uses), CAUGHT_UP (report what changed, with the server's last id) and writing the state
// file. Replayed signals run like live ones: the per-account dedupe decides.
using System;
using System.Collections.Generic;
using NinjaTrader.Cbi;

namespace NinjaTrader.NinjaScript.Strategies
{
    internal sealed partial class V9CopyExecutor
    {
        readonly V9CopyResume resume = new V9CopyResume();
        readonly List<string> synced = new List<string>();  // roots SYNC changed since the last CAUGHT_UP
        readonly HashSet<string> untraded = new HashSet<string>(); // Accounts: names already logged

        void HandleSignal(V9CopySignal sig)
        {
            if (sig.IdsRestarted)
            {
                resume.IdsRestarted();
                log("signal ids started again at ID:" + sig.Id + ": the server restarted");
            }
            Execute(sig);
            if (sig.Id >= 0)
                resume.Handled(sig.Id); // a restart resumes after it, whatever came of it
        }

        /// <summary>The accounts a signal runs on: routed (Accounts:), sized (qty gets each
        /// one's quantity), and not executed there yet (dups counts those that have).</summary>
        List<Account> Targets(V9CopySignal sig, Dictionary<string, int> qty, out int dups)
        {
            NoteUntraded(sig.Accounts);
            bool opens = sig.Action == V9CopyAction.Long || sig.Action == V9CopyAction.Short;
            var accounts = new List<Account>();
            dups = 0;
            foreach (Account a in selected)
            {
                int q;
                if (!V9CopyRouting.TryQuantity(sig.Accounts, a.Name, sig.Quantity, out q))
                    continue;
                if (opens && q == 0)
                {
                    Bad("signal ID:" + sig.Id + " sizes " + a.Name + " at 0: that account is left untouched");
                    continue;
                }
                if (sig.Id >= 0 && !resume.ShouldExecute(a.Name, sig.Id))
                {
                    dups++;
                    continue;
                }
                accounts.Add(a);
                qty[a.Name] = q;
            }
            return accounts;
        }

        /// <summary>Offers the state file's writer the resume state when it changed (executor
        /// thread, or Stop once that thread ended): after every signal, SYNC, CAUGHT_UP and READY.</summary>
        void SaveState()
        {
            if (resume.Version == savedVersion)
                return;
            long at;
            V9CopySaved s = resume.Snapshot(out at);
            cfg.State.Offer(s);
            savedVersion = at;
        }

        /// <summary>Names in an Accounts: list this strategy does not trade are ignored; each is
        /// logged once (at most 100 names, so hostile lists cannot grow memory).</summary>
        void NoteUntraded(string list)
        {
            if (list == null)
                return;
            foreach (string name in V9CopyRouting.Names(list))
            {
                bool traded = false;
                foreach (Account a in selected)
                    traded |= a.Name == name;
                if (!traded && untraded.Count < 100 && untraded.Add(name))
                    log("Accounts: names " + V9CopyProtocol.Clean(name) + ", which this strategy does not trade: ignored");
            }
        }

        /// <summary>The CONNECT line (link thread): the selected accounts' names, and from the
        /// second connect on the highest id received and the last epoch.</summary>
        public string ConnectLine(string name)
        {
            var names = new List<string>();
            foreach (Account a in selected)
                names.Add(a.Name);
            string line;
            if (!V9CopyProtocol.Connect(name, names, resume.ConnectKeys(), out line))
                log("account names too long for one CONNECT (1024 bytes), or one over 64 bytes or holding '=': Accounts: not declared, so signals routed to accounts will not reach this receiver");
            return line;
        }

        /// <summary>ERROR, SYNC and CAUGHT_UP from the reader thread; false for other lines.</summary>
        bool CatchUpLine(string text, string[] f)
        {
            switch (f[0])
            {
                case "ERROR":
                    if (f.Length > 2 && f[2] == "Last_ID in the future")
                    {
                        // The server does not know our ids (a new journal): start over fresh
                        // rather than be refused on every reconnect.
                        log("the server refused our Last_ID: the next connect starts fresh");
                        resume.Forget();
                    }
                    return true;
                case "SYNC":
                    V9CopySync sync;
                    string bad = V9CopyProtocol.ParseSync(f, out sync);
                    if (bad != null)
                    {
                        Bad("invalid SYNC skipped (" + bad + "): " + text);
                        send(V9CopyProtocol.Error("INVALID_SIGNAL", bad, "Signal: " + text));
                    }
                    else
                        Enqueue(new Work { Kind = Kind.Sync, Sync = sync });
                    return true;
                case "CAUGHT_UP":
                    V9CopyCaughtUp done;
                    string wrong = V9CopyProtocol.ParseCaughtUp(f, out done);
                    if (wrong != null)
                        Bad("invalid CAUGHT_UP skipped (" + wrong + "): " + text);
                    else
                        Enqueue(new Work { Kind = Kind.CaughtUp, CaughtUp = done });
                    return true;
            }
            return false;
        }

        /// <summary>SYNC: each targeted account's position in the instrument set to exactly the
        /// target (times its multiplier, like a signal's quantity), through the same orders a
        /// signal uses; id m then counts as executed there. Reported at CAUGHT_UP.</summary>
        void HandleSync(V9CopySync sy)
        {
            string root = sy.Symbol.ToUpperInvariant();
            if (cfg.Symbols.Resolve(root, DateTime.Now) == null)
            {
                send(V9CopyProtocol.Error("INVALID_SIGNAL", "Unmapped symbol", "Symbol: " + sy.Symbol));
                return;
            }
            NoteUntraded(sy.Accounts);
            var accounts = new List<Account>();
            var qty = new Dictionary<string, int>();
            foreach (Account a in selected)
            {
                int q;
                if (V9CopyRouting.TryQuantity(sy.Accounts, a.Name, sy.Quantity, out q))
                {
                    accounts.Add(a);
                    qty[a.Name] = q;
                }
            }
            Touch(root);
            var roots = new List<string> { root };
            List<Leg> legs = Plan(roots, accounts, (a, start) => sy.Sign * qty[a.Name] * Multiplier(a), false, cfg.DefaultTif);
            SubmitAll(legs);
            WaitSettled(legs, sy.Id);
            PlaceBrackets(legs, null, cfg.DefaultTif);
            foreach (Account a in accounts)
                resume.Executed(a.Name, sy.Id);
            resume.Handled(sy.Id);
            Syncs++;
            if (!synced.Contains(root))
                synced.Add(root);
        }

        /// <summary>CAUGHT_UP: every account caught up as of its id; the positions SYNC changed
        /// and one POSITION_SUMMARY carrying that id go back.</summary>
        void HandleCaughtUp(V9CopyCaughtUp c)
        {
            resume.CaughtUp(c.Id, c.Mode == "SYNC");
            log("caught up by " + c.Mode + " (" + c.Count + " lines) at ID:" + c.Id);
            var roots = new List<string>(synced);
            synced.Clear();
            Report(roots, null, c.Id);
        }
    }
}
