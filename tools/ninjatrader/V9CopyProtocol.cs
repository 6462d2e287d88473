// V9 line protocol for V9_CopyReceiver: parsing what the server sends, formatting what the
// receiver sends back, the position rules, and the signal-id dedupe window. Pure code: no
// NinjaTrader API, no I/O, so it behaves the same inside NinjaTrader and under the CI stub.
// Written in C# 5 because that is what the NinjaScript compiler accepts.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace NinjaTrader.NinjaScript.Strategies
{
    /// <summary>What a signal asks every account to do.</summary>
    internal enum V9CopyAction { Long, Short, Flatten, CloseHalf, CloseOne, Reverse }

    /// <summary>One parsed signal line: ACTION|SYMBOL|QTY[|TP:p][|SL:p][|TIF:t][|ID:n].</summary>
    internal sealed class V9CopySignal
    {
        public V9CopyAction Action;
        public string Symbol;
        public int Quantity;
        public double Tp;           // 0 = none
        public double Sl;           // 0 = none
        public string Tif;          // null = the strategy's own Time in force setting
        public long Id;             // -1 = the server sent no ID
        public bool HasBracket { get { return Tp > 0 || Sl > 0; } }
    }

    internal static class V9CopyProtocol
    {
        /// <summary>Spec limit for one message, line ending excluded.</summary>
        public const int MaxMessage = 1024;
        /// <summary>Fat-finger guard, the same bound the engine applies to signals.</summary>
        public const int MaxQuantity = 1000;

        static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

        public static bool TryParseAction(string s, out V9CopyAction a)
        {
            switch (s)
            {
                case "LONG": a = V9CopyAction.Long; return true;
                case "SHORT": a = V9CopyAction.Short; return true;
                case "FLATTEN": a = V9CopyAction.Flatten; return true;
                case "CLOSE_HALF": a = V9CopyAction.CloseHalf; return true;
                case "CLOSE_ONE": a = V9CopyAction.CloseOne; return true;
                case "REVERSE": a = V9CopyAction.Reverse; return true;
            }
            a = V9CopyAction.Long;
            return false;
        }

        /// <summary>Parses the fields of a line whose first field is a known action. Returns null
        /// on success, otherwise the reason (sent back as ERROR|INVALID_SIGNAL).</summary>
        public static string ParseSignal(string[] f, V9CopyAction action, out V9CopySignal sig)
        {
            sig = new V9CopySignal { Action = action, Id = -1 };
            if (f.Length < 2 || f[1].Length == 0)
                return "Missing symbol";
            sig.Symbol = f[1].Trim();
            bool opens = action == V9CopyAction.Long || action == V9CopyAction.Short;
            if (f.Length < 3 || f[2].Length == 0)
            {
                // A bare closing action ("FLATTEN|ALL") means quantity 0, as the engine reads it.
                if (opens)
                    return "Missing quantity";
            }
            else if (!TryParseCount(f[2], out sig.Quantity) || sig.Quantity > MaxQuantity)
                return "Invalid quantity";
            if (opens && sig.Quantity == 0)
                return "Quantity 0 on an opening action";
            if (opens && sig.Symbol == "ALL")
                return "ALL is only valid with closing actions";
            for (int i = 3; i < f.Length; i++)
            {
                string opt = f[i];
                if (opt.Length == 0)
                    continue;
                int colon = opt.IndexOf(':');
                string key = colon < 0 ? opt : opt.Substring(0, colon).ToUpperInvariant();
                string val = colon < 0 ? "" : opt.Substring(colon + 1);
                if (key == "TP" && !TryParsePrice(val, out sig.Tp))
                    return "Invalid TP price";
                if (key == "SL" && !TryParsePrice(val, out sig.Sl))
                    return "Invalid SL price";
                if (key == "TIF")
                    sig.Tif = val.ToUpperInvariant();
                if (key == "ID")
                {
                    // NumberStyles.None: digits only, no sign, no spaces.
                    if (!long.TryParse(val, NumberStyles.None, Inv, out sig.Id))
                        return "Invalid ID";
                }
                // Any other KEY:VALUE is an extension this receiver does not know: ignored.
            }
            return null;
        }

        /// <summary>The position rules of the engine's model (src/sim/model.rs). cur is the
        /// signed position, q the signal quantity, m the account's multiplier:
        /// LONG q: short -> closed, then long q*m; flat/long -> buy q*m (adds). SHORT mirrors it.
        /// FLATTEN: 0. CLOSE_HALF: closes ceil(|cur|/2) (3 -> 1, 2 -> 1, 1 -> 0).
        /// CLOSE_ONE: closes m contracts (one signal contract), never past flat.
        /// REVERSE q: long p -> short q*m (or p when q = 0), and vice versa; flat stays flat.</summary>
        public static int Target(V9CopyAction a, int cur, int q, int m)
        {
            int sign = Math.Sign(cur), abs = Math.Abs(cur), qm = q * m;
            switch (a)
            {
                case V9CopyAction.Long: return cur < 0 ? qm : cur + qm;
                case V9CopyAction.Short: return cur > 0 ? -qm : cur - qm;
                case V9CopyAction.Flatten: return 0;
                case V9CopyAction.CloseHalf: return cur - sign * ((abs + 1) / 2);
                case V9CopyAction.CloseOne: return cur - sign * Math.Min(m, abs);
                default: return qm > 0 ? -sign * qm : -cur;
            }
        }

        public static string Connect(string name, int accounts)
        {
            return "CONNECT|" + Clean(name) + "|Account_Count:" + accounts.ToString(Inv) + "|Version:1.0";
        }

        public static string Heartbeat(string name, int accounts)
        {
            return "HEARTBEAT|" + Clean(name) + "|Connected:" + accounts.ToString(Inv) + "_Accounts";
        }

        /// <summary>POSITION|ACCOUNT|DIR|QTY|ENTRY|PNL|TIME|Symbol:ROOT (the Symbol: field is the
        /// engine's extension, so several instruments per account stay apart).</summary>
        public static string Position(string account, int signedQty, double entry, double pnl, DateTime utc, string root)
        {
            string dir = signedQty > 0 ? "LONG" : signedQty < 0 ? "SHORT" : "FLAT";
            return "POSITION|" + Clean(account) + "|" + dir + "|" + Math.Abs(signedQty).ToString(Inv) + "|"
                + (signedQty == 0 ? 0.0 : entry).ToString("0.00", Inv) + "|" + Signed(pnl) + "|"
                + utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", Inv) + "|Symbol:" + Clean(root);
        }

        /// <summary>POSITION_SUMMARY|ACCOUNTS|QTY|PNL|AVG|LONG:l,SHORT:s[|ID:n]; id &lt; 0 = none.</summary>
        public static string Summary(int holding, int qty, double pnl, double avg, int longs, int shorts, long id)
        {
            string s = "POSITION_SUMMARY|" + holding.ToString(Inv) + "|" + qty.ToString(Inv) + "|" + Signed(pnl) + "|"
                + avg.ToString("0.00", Inv) + "|LONG:" + longs.ToString(Inv) + ",SHORT:" + shorts.ToString(Inv);
            return id >= 0 ? s + "|ID:" + id.ToString(Inv) : s;
        }

        /// <summary>ERROR|CODE|MESSAGE|DETAILS with '|' and control characters replaced, bounded so
        /// an echo of hostile input never passes the message limit.</summary>
        public static string Error(string code, string message, string details)
        {
            string d = Clean(details);
            if (d.Length > 300)
                d = d.Substring(0, 300);
            return "ERROR|" + code + "|" + Clean(message) + (d.Length > 0 ? "|" + d : "");
        }

        public static string Clean(string s)
        {
            if (s == null)
                return "";
            var b = new StringBuilder(s.Length);
            foreach (char c in s)
                b.Append(c == '|' || c < ' ' ? '_' : c);
            return b.ToString();
        }

        static string Signed(double v)
        {
            return v.ToString("+0.00;-0.00;+0.00", Inv);
        }

        static bool TryParseCount(string s, out int n)
        {
            n = 0;
            if (s.Length == 0 || s.Length > 9)
                return false;
            foreach (char c in s)
                if (c < '0' || c > '9')
                    return false;
            n = int.Parse(s, Inv);
            return true;
        }

        static bool TryParsePrice(string s, out double p)
        {
            // Invariant culture: a trader's machine set to a comma-decimal locale must still read
            // "4700.25" as the server wrote it.
            bool ok = double.TryParse(s, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, Inv, out p);
            return ok && p > 0 && !double.IsInfinity(p);
        }
    }

    /// <summary>Signal ids already executed. The engine numbers signals from 1 for its whole
    /// lifetime and never replays them, so within one server instance an id at or below the
    /// high-water mark that is in the window is a duplicate. When a new connection's first id
    /// is at or below the mark, the server was restarted (its ids start again at 1): the window
    /// is reset rather than skipping every signal of the new server.</summary>
    internal sealed class V9CopyIdWindow
    {
        readonly int capacity;
        readonly HashSet<long> seen = new HashSet<long>();
        readonly Queue<long> order = new Queue<long>();
        long high = -1;
        bool newSession = true;

        public V9CopyIdWindow(int capacity) { this.capacity = capacity; }

        public long HighWater { get { return high; } }

        /// <summary>Call when a new connection became READY.</summary>
        public void SessionStarted() { newSession = true; }

        /// <summary>True when the id may be executed (and is now remembered); false for a
        /// duplicate. restarted is set when the window was reset for a restarted server.</summary>
        public bool Admit(long id, out bool restarted)
        {
            restarted = false;
            if (newSession)
            {
                newSession = false;
                if (high >= 0 && id <= high)
                {
                    restarted = true;
                    seen.Clear();
                    order.Clear();
                    high = -1;
                }
            }
            // Older than anything the window still holds: cannot be told apart, so refused.
            if (seen.Contains(id) || (order.Count >= capacity && id <= high - capacity))
                return false;
            seen.Add(id);
            order.Enqueue(id);
            if (order.Count > capacity)
                seen.Remove(order.Dequeue());
            if (id > high)
                high = id;
            return true;
        }
    }
}
