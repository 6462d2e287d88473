#!/usr/bin/env bash
# CI: the wire layers are sans-IO. Fails when a file under src/*/wire/ (dtc, pipe, v9) mentions
# mio, reads a clock (Instant::now, SystemTime) or names a std::net socket. Time comes in as an
# argument there and bytes come in as slices; a shell does the I/O. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every protocol folder has a wire/ layer; a missing one would silently shrink the check.
for dir in src/dtc/wire src/pipe/wire src/v9/wire; do
  [ -f "$dir/mod.rs" ] || { echo "check-sans-io: $dir/mod.rs is missing" >&2; exit 1; }
done

mapfile -t files < <(find src -path 'src/*/wire/*' -name '*.rs' | sort)

pattern='\bmio\b|Instant::now|SystemTime|\b(TcpStream|TcpListener|UdpSocket)\b|std::net::\*'
if grep -nE "$pattern" "${files[@]}"; then
  echo "check-sans-io: the lines above do I/O or read a clock in a wire layer" >&2
  exit 1
fi
echo "check-sans-io: ${#files[@]} wire files, no mio, no clock, no sockets"
