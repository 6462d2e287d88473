// V9_CopyReceiver's connection to the V9 server, on its own threads so NinjaTrader's UI and data
// threads never wait on the network: CONNECT (its line, with the resume keys, comes from the
// executor), HEARTBEAT every few seconds, reconnect with
// backoff and jitter when the server goes away, says SERVER_SHUTDOWN, or stops acknowledging
// heartbeats. Incoming lines are framed here (LF, CRLF or NUL; at most 1024 bytes) and handed
// on; outgoing lines are queued by any thread and written by the link thread.
using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace NinjaTrader.NinjaScript.Strategies
{
    internal sealed class V9CopyLink
    {
        const string Wake = "\u0000wake";      // queued to wake the writer; never sent
        const int QueueBound = 50000;           // lines; beyond it new lines are dropped and counted
        const int ConnectTimeoutMs = 3000;
        static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        readonly string host;
        readonly int port;
        readonly string name;
        readonly Func<int> accountCount;
        readonly Func<string> connectLine;
        readonly TimeSpan heartbeat, ackTimeout;
        readonly Action onHeartbeat;
        readonly Action<string[]> onReady;
        readonly Action<string, string[]> onLine;
        readonly Action<string> log;
        readonly ManualResetEvent stopEvent = new ManualResetEvent(false);
        readonly object gate = new object();
        Thread thread;
        volatile bool stopping;
        Session current;
        int dropped;

        /// <summary>One connection's state, shared by its reader thread and the link thread.</summary>
        sealed class Session
        {
            public TcpClient Client;
            public readonly BlockingCollection<string> Outbound = new BlockingCollection<string>(QueueBound);
            public volatile bool Ready, Dead, Shutdown;
            public long LastAck = Stopwatch.GetTimestamp();
        }

        /// <summary>onReady gets READY's fields on the reader thread (before any line after it);
        /// onLine gets every other line except HEARTBEAT_ACK, ERRORs included.</summary>
        public V9CopyLink(string host, int port, string name, Func<int> accountCount, Func<string> connectLine,
            double heartbeatS, double ackTimeoutS, Action<string[]> onReady, Action<string, string[]> onLine,
            Action onHeartbeat, Action<string> log)
        {
            this.host = host;
            this.port = port;
            this.name = name;
            this.accountCount = accountCount;
            this.connectLine = connectLine;
            heartbeat = TimeSpan.FromSeconds(Math.Max(0.2, heartbeatS));
            ackTimeout = TimeSpan.FromSeconds(Math.Max(1.0, ackTimeoutS));
            this.onReady = onReady;
            this.onLine = onLine;
            this.onHeartbeat = onHeartbeat;
            this.log = log;
        }

        public int Connections { get; private set; }

        public void Start()
        {
            thread = new Thread(Run) { IsBackground = true, Name = "V9CopyReceiver link" };
            thread.Start();
        }

        public void Stop()
        {
            stopping = true;
            stopEvent.Set();
            Session s;
            lock (gate)
                s = current;
            if (s != null)
                Close(s);
            if (thread != null && !thread.Join(3000))
                log("link thread did not stop within 3 s");
        }

        /// <summary>Queues one line (without its LF). Never blocks: before READY, or with a full
        /// queue, the line is dropped (positions are all sent again after every READY).</summary>
        public void Send(string line)
        {
            Session s;
            lock (gate)
                s = current;
            if (s == null || !s.Ready || s.Dead)
                return;
            if (!s.Outbound.TryAdd(line) && Interlocked.Increment(ref dropped) % 1000 == 1)
                log("outbound queue full: " + dropped + " lines dropped so far");
        }

        void Run()
        {
            var rng = new Random();
            int backoffMs = 100;
            while (!stopping)
            {
                Session s = new Session();
                try
                {
                    Converse(s);
                }
                catch (Exception e)
                {
                    // Connection refused, reset, write timeout: all end this session alike.
                    if (!stopping && (backoffMs == 100 || s.Ready))
                        log("connection to " + host + ":" + port + " failed: " + e.Message + " (retrying)");
                }
                finally
                {
                    Close(s);
                }
                if (stopping)
                    break;
                if (s.Ready)
                    backoffMs = 100; // only a READY resets it: a server refusing us is not hammered
                int wait = backoffMs + rng.Next(backoffMs / 2 + 1); // jitter: receivers do not reconnect in lockstep
                if (s.Shutdown)
                    wait = Math.Max(wait, 1000); // SERVER_SHUTDOWN: come back later, not at once
                stopEvent.WaitOne(wait);
                backoffMs = Math.Min(backoffMs * 2, 5000);
            }
        }

        void Converse(Session s)
        {
            s.Client = new TcpClient { NoDelay = true };
            lock (gate)
                current = s;
            IAsyncResult ar = s.Client.BeginConnect(host, port, null, null);
            if (!ar.AsyncWaitHandle.WaitOne(ConnectTimeoutMs))
                throw new TimeoutException("connect timed out");
            s.Client.EndConnect(ar);
            NetworkStream stream = s.Client.GetStream();
            stream.WriteTimeout = 5000;
            Connections++;
            Write(stream, connectLine() + "\n");
            var reader = new Thread(() => ReadLoop(s, stream)) { IsBackground = true, Name = "V9CopyReceiver reader" };
            reader.Start();
            long nextHb = Stopwatch.GetTimestamp() + heartbeat.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
            var batch = new StringBuilder();
            while (!stopping && !s.Dead)
            {
                long now = Stopwatch.GetTimestamp();
                if (s.Ready && now >= nextHb)
                {
                    nextHb = now + heartbeat.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
                    Write(stream, V9CopyProtocol.Heartbeat(name, accountCount()) + "\n");
                    onHeartbeat();
                }
                if (Seconds(now - Interlocked.Read(ref s.LastAck)) > ackTimeout.TotalSeconds)
                {
                    log("no HEARTBEAT_ACK for " + ackTimeout.TotalSeconds + " s: reconnecting");
                    return;
                }
                string line;
                int waitMs = (int)Math.Max(1, Math.Min(250, Seconds(nextHb - now) * 1000));
                if (!s.Outbound.TryTake(out line, waitMs))
                    continue;
                // One write carries everything queued so far (20 POSITIONs and a summary).
                batch.Clear();
                do
                {
                    if (!ReferenceEquals(line, Wake))
                        batch.Append(line).Append('\n');
                } while (batch.Length < 60000 && s.Outbound.TryTake(out line));
                if (batch.Length > 0)
                    Write(stream, batch.ToString());
            }
        }

        void ReadLoop(Session s, NetworkStream stream)
        {
            var buf = new byte[65536];
            var line = new byte[V9CopyProtocol.MaxMessage + 2];
            int len = 0;
            bool oversized = false;
            try
            {
                while (!stopping)
                {
                    int n = stream.Read(buf, 0, buf.Length);
                    if (n <= 0)
                    {
                        log("server closed the connection");
                        break;
                    }
                    for (int i = 0; i < n; i++)
                    {
                        byte b = buf[i];
                        if (b == (byte)'\n' || b == 0)
                        {
                            if (oversized)
                                log("skipped a line over " + V9CopyProtocol.MaxMessage + " bytes");
                            else if (len > 0)
                                Dispatch(s, line, len);
                            len = 0;
                            oversized = false;
                        }
                        else if (!oversized)
                        {
                            if (len == line.Length)
                                oversized = true;
                            else
                                line[len++] = b;
                        }
                    }
                }
            }
            catch (Exception e)
            {
                if (!stopping && !s.Dead)
                    log("read failed: " + e.Message);
            }
            finally
            {
                s.Dead = true;
                s.Outbound.TryAdd(Wake);
            }
        }

        void Dispatch(Session s, byte[] raw, int len)
        {
            if (raw[len - 1] == (byte)'\r')
                len--;
            if (len == 0)
                return;
            if (len > V9CopyProtocol.MaxMessage)
            {
                log("skipped a line over " + V9CopyProtocol.MaxMessage + " bytes");
                return;
            }
            string text;
            try
            {
                text = StrictUtf8.GetString(raw, 0, len);
            }
            catch (ArgumentException)
            {
                log("skipped a line that is not UTF-8");
                return;
            }
            string[] f = text.Split('|');
            switch (f[0])
            {
                case "READY":
                    Interlocked.Exchange(ref s.LastAck, Stopwatch.GetTimestamp());
                    if (!s.Ready)
                    {
                        s.Ready = true;
                        log("connected to " + host + ":" + port + " (" + text + ")");
                        onReady(f);
                    }
                    return;
                case "HEARTBEAT_ACK":
                    Interlocked.Exchange(ref s.LastAck, Stopwatch.GetTimestamp());
                    return;
                case "ERROR":
                    log("server error: " + text);
                    if (f.Length > 1 && f[1] == "SERVER_SHUTDOWN")
                    {
                        s.Shutdown = true;
                        s.Dead = true;
                        s.Outbound.TryAdd(Wake);
                        return;
                    }
                    break; // the executor reads the others too (Last_ID in the future)
            }
            try
            {
                onLine(text, f);
            }
            catch (Exception e)
            {
                // A bug in handling one line must not cost the connection.
                log("error handling '" + text + "': " + e);
            }
        }

        static void Write(NetworkStream stream, string text)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            stream.Write(bytes, 0, bytes.Length);
        }

        static double Seconds(long stopwatchTicks)
        {
            return (double)stopwatchTicks / Stopwatch.Frequency;
        }

        void Close(Session s)
        {
            s.Dead = true;
            s.Ready = false;
            try
            {
                if (s.Client != null)
                    s.Client.Close();
            }
            catch (Exception e)
            {
                log("close failed: " + e.Message);
            }
        }
    }
}
