//! Windows side of the pipe ingest: placeholder until the named-pipe server is written.
