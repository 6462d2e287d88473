// V9_CopyReceiver settings that need parsing: which accounts to trade, the quantity multiplier
// per account, and the symbol -> instrument map with its rollover rule.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using NinjaTrader.Cbi;

namespace NinjaTrader.NinjaScript.Strategies
{
    /// <summary>Account selection: "*" (or ALL) = every account; "PREFIX*" = the accounts whose
    /// name starts with PREFIX; otherwise a comma-separated list of exact names.</summary>
    internal static class V9CopyAccounts
    {
        /// <summary>The selected accounts in Account.All, and the listed names that do not exist.</summary>
        public static List<Account> Select(string spec, out List<string> missing)
        {
            missing = new List<string>();
            string s = (spec ?? "").Trim();
            var all = new List<Account>();
            lock (Account.All)
                all.AddRange(Account.All);
            if (s.Length == 0 || s == "*" || s.Equals("ALL", StringComparison.OrdinalIgnoreCase))
                return all.Where(a => !IsInternal(a.Name)).ToList();
            if (s.EndsWith("*"))
            {
                string prefix = s.Substring(0, s.Length - 1);
                return all.Where(a => a.Name.StartsWith(prefix, StringComparison.Ordinal) && !IsInternal(a.Name)).ToList();
            }
            var chosen = new List<Account>();
            foreach (string name in Split(s))
            {
                Account a = all.FirstOrDefault(x => x.Name == name);
                if (a == null)
                    missing.Add(name);
                else if (!chosen.Contains(a))
                    chosen.Add(a);
            }
            return chosen;
        }

        /// <summary>"Account1=2, Account5=3": accounts not listed trade 1x. Bad entries are
        /// reported through log and ignored.</summary>
        public static Dictionary<string, int> Multipliers(string spec, Action<string> log)
        {
            var m = new Dictionary<string, int>();
            foreach (string item in Split(spec ?? ""))
            {
                int eq = item.LastIndexOf('=');
                int n;
                if (eq <= 0 || !int.TryParse(item.Substring(eq + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out n) || n < 1 || n > 100)
                {
                    log("quantity multiplier '" + item + "' ignored: expected ACCOUNT=N with N in 1..100");
                    continue;
                }
                m[item.Substring(0, eq).Trim()] = n;
            }
            return m;
        }

        internal static IEnumerable<string> Split(string s)
        {
            return s.Split(new[] { ',', ';' }, StringSplitOptions.RemoveEmptyEntries)
                .Select(x => x.Trim()).Where(x => x.Length > 0);
        }

        // NinjaTrader's own Backtest and Playback accounts are never traded by "*" or a prefix.
        static bool IsInternal(string name)
        {
            return name == "Backtest" || name.StartsWith("Playback", StringComparison.Ordinal);
        }
    }

    /// <summary>Signal symbol (a futures root such as MES) -> the NinjaTrader instrument to trade.
    /// Spec: comma-separated entries; "MES" = the front quarterly contract (Mar/Jun/Sep/Dec, third
    /// Friday expiry), rolled RollDays days before expiry like NinjaTrader's own rollover for the
    /// CME equity index futures; "CL=CL 02-27" = that exact instrument (any month cycle, rolled by
    /// editing the setting).</summary>
    internal sealed class V9CopySymbolMap
    {
        readonly Dictionary<string, string> explicitNames = new Dictionary<string, string>();
        readonly List<string> roots = new List<string>();
        readonly int rollDays;
        readonly Action<string> log;
        readonly Dictionary<string, Instrument> cache = new Dictionary<string, Instrument>();
        DateTime cacheDate = DateTime.MinValue;

        public V9CopySymbolMap(string spec, int rollDays, Action<string> log)
        {
            this.rollDays = rollDays;
            this.log = log;
            foreach (string item in V9CopyAccounts.Split(spec ?? ""))
            {
                int eq = item.IndexOf('=');
                string root = (eq < 0 ? item : item.Substring(0, eq)).Trim().ToUpperInvariant();
                if (root.Length == 0 || root == "ALL")
                    continue;
                if (eq >= 0)
                    explicitNames[root] = item.Substring(eq + 1).Trim();
                if (!roots.Contains(root))
                    roots.Add(root);
            }
        }

        public IList<string> Roots { get { return roots; } }

        /// <summary>The instrument for root today, or null when the root is not mapped or
        /// NinjaTrader does not know the contract. Looked up once per root per day.</summary>
        public Instrument Resolve(string root, DateTime today)
        {
            if (!roots.Contains(root))
                return null;
            if (today.Date != cacheDate)
            {
                cache.Clear();
                cacheDate = today.Date;
            }
            Instrument inst;
            if (cache.TryGetValue(root, out inst))
                return inst;
            string name;
            if (!explicitNames.TryGetValue(root, out name))
                name = root + " " + QuarterlyFront(today, rollDays);
            inst = Instrument.GetInstrument(name);
            if (inst == null)
                log("symbol " + root + ": NinjaTrader has no instrument '" + name + "'");
            cache[root] = inst;
            return inst;
        }

        /// <summary>The root whose current instrument is inst (null when none is).</summary>
        public string RootOf(Instrument inst, DateTime today)
        {
            foreach (string r in roots)
            {
                Instrument i = Resolve(r, today);
                if (i != null && i.FullName == inst.FullName)
                    return r;
            }
            return null;
        }

        /// <summary>"MM-yy" of the quarterly contract to trade on day: the first of Mar/Jun/Sep/Dec
        /// whose roll date (third Friday minus rollDays) is still ahead.</summary>
        public static string QuarterlyFront(DateTime day, int rollDays)
        {
            int year = day.Year, month = ((day.Month - 1) / 3 + 1) * 3;
            for (int i = 0; i < 3; i++)
            {
                if (day.Date < ThirdFriday(year, month).AddDays(-rollDays))
                    break;
                month += 3;
                if (month > 12)
                {
                    month = 3;
                    year++;
                }
            }
            return month.ToString("00", CultureInfo.InvariantCulture) + "-" + (year % 100).ToString("00", CultureInfo.InvariantCulture);
        }

        static DateTime ThirdFriday(int year, int month)
        {
            var first = new DateTime(year, month, 1);
            int toFriday = ((int)DayOfWeek.Friday - (int)first.DayOfWeek + 7) % 7;
            return first.AddDays(toFriday + 14);
        }
    }
}
