// V9 line protocol for V9_CopyReceiver: parsing what the server sends (signals, SYNC, CAUGHT_UP,
// READY's Epoch/Last_ID), formatting what the receiver sends back, the position rules, the
// Accounts: routing, and what survives reconnects (V9CopyResume). Pure code: no
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
        public string Accounts;     // raw Accounts: list (validated), null = every account
        public bool Replay;         // Replay:1 (executed like a live signal; dedupe decides)
        public bool IdsRestarted;   // set by the executor: a base server restarted, ids from 1 again
        public bool HasBracket { get { return Tp > 0 || Sl > 0; } }
    }

    /// <summary>SYNC|SYMBOL|LONG|SHORT|FLAT|QTY[|Accounts:list]|ID:m: the target position after id m.</summary>
    internal sealed class V9CopySync
    {
        public string Symbol;
        public int Sign;            // +1 long, -1 short, 0 flat
        public int Quantity;
        public string Accounts;     // null = every account
        public long Id;
    }

    /// <summary>CAUGHT_UP|REPLAY|SYNC|NONE|COUNT|ID:m: the end of catch-up; live signals follow.</summary>
    internal sealed class V9CopyCaughtUp
    {
        public string Mode;
        public long Count, Id;
    }

    internal static class V9CopyProtocol
    {
        /// <summary>Spec limit for one message, line ending excluded.</summary>
        public const int MaxMessage = 1024;
        /// <summary>Longest account name the server accepts in CONNECT's Accounts:.</summary>
        public const int MaxAccountName = 64;
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
                if (key == "ACCOUNTS")
                {
                    if (!V9CopyRouting.Valid(val))
                        return "Invalid Accounts option";
                    sig.Accounts = val;
                }
                if (key == "REPLAY")
                    sig.Replay = val == "1";
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

        /// <summary>Parses SYNC's fields; null on success, otherwise the reason.</summary>
        public static string ParseSync(string[] f, out V9CopySync s)
        {
            s = new V9CopySync { Id = -1 };
            if (f.Length < 5 || f[1].Length == 0)
                return "Missing field";
            s.Symbol = f[1].Trim();
            switch (f[2])
            {
                case "LONG": s.Sign = 1; break;
                case "SHORT": s.Sign = -1; break;
                case "FLAT": s.Sign = 0; break;
                default: return "Invalid direction";
            }
            if (!TryParseCount(f[3], out s.Quantity) || s.Quantity > MaxQuantity || (s.Sign == 0) != (s.Quantity == 0))
                return "Invalid quantity";
            for (int i = 4; i < f.Length; i++)
            {
                string key, val;
                if (!KeyValue(f[i], out key, out val))
                    continue;
                if (key == "ID" && !long.TryParse(val, NumberStyles.None, Inv, out s.Id))
                    return "Invalid ID";
                if (key == "ACCOUNTS")
                {
                    if (!V9CopyRouting.Valid(val))
                        return "Invalid Accounts option";
                    s.Accounts = val;
                }
            }
            return s.Id < 0 ? "Missing ID" : null;
        }

        /// <summary>Parses CAUGHT_UP's fields; null on success, otherwise the reason.</summary>
        public static string ParseCaughtUp(string[] f, out V9CopyCaughtUp c)
        {
            c = new V9CopyCaughtUp { Id = -1 };
            if (f.Length < 4 || (f[1] != "REPLAY" && f[1] != "SYNC" && f[1] != "NONE"))
                return "Invalid mode";
            c.Mode = f[1];
            if (!long.TryParse(f[2], NumberStyles.None, Inv, out c.Count))
                return "Invalid count";
            c.Id = Field(f, 3, "ID");
            return c.Id < 0 ? "Missing ID" : null;
        }

        /// <summary>The unsigned value of KEY:value among f[from..] (key in any case), -1 when
        /// absent or not a number: READY's Epoch and Last_ID, CAUGHT_UP's ID.</summary>
        public static long Field(string[] f, int from, string upperKey)
        {
            for (int i = from; i < f.Length; i++)
            {
                string key, val;
                long v;
                if (KeyValue(f[i], out key, out val) && key == upperKey)
                    return long.TryParse(val, NumberStyles.None, Inv, out v) ? v : -1;
            }
            return -1;
        }

        static bool KeyValue(string field, out string key, out string val)
        {
            int colon = field.IndexOf(':');
            key = colon < 0 ? field : field.Substring(0, colon).ToUpperInvariant();
            val = colon < 0 ? "" : field.Substring(colon + 1);
            return colon > 0;
        }

        /// <summary>CONNECT|NAME|Account_Count:N|Version:1.0[resume keys][|Accounts:a+b]. The
        /// account list is left out (returned false) when it would pass the message limit, or
        /// when a name could not be routed: over MaxAccountName bytes or holding '=' (the
        /// server refuses such a CONNECT, since one account must fit every routed line).</summary>
        public static bool Connect(string name, IList<string> accounts, string resumeKeys, out string line)
        {
            line = "CONNECT|" + Clean(name) + "|Account_Count:" + accounts.Count.ToString(Inv) + "|Version:1.0" + resumeKeys;
            if (accounts.Count == 0)
                return true;
            var b = new StringBuilder(line).Append("|Accounts:");
            for (int i = 0; i < accounts.Count; i++)
            {
                string a = Clean(accounts[i]).Replace('+', '_');
                if (Encoding.UTF8.GetByteCount(a) > MaxAccountName || a.IndexOf('=') >= 0)
                    return false;
                b.Append(i > 0 ? "+" : "").Append(a);
            }
            if (Encoding.UTF8.GetByteCount(b.ToString()) > MaxMessage)
                return false;
            line = b.ToString();
            return true;
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
}
