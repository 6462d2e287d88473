#!/usr/bin/env bash
# CI: the wire layers are sans-IO. Fails when a file under src/*/wire/ (or one of the V9 wire
# files listed below, which still sit beside their shell) mentions mio, reads a clock
# (Instant::now, SystemTime) or names a std::net socket. Time comes in as an argument there and
# bytes come in as slices; a shell does the I/O. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

# V9's pure files, checked where they are (src/v9 has no wire/ folder yet).
v9_wire=(src/v9/codec.rs src/v9/codec_tests.rs src/v9/encode.rs src/v9/escape.rs src/v9/frame.rs)

mapfile -t files < <(find src -path 'src/*/wire/*' -name '*.rs' | sort)
files+=("${v9_wire[@]}")
if [ "${#files[@]}" -le "${#v9_wire[@]}" ]; then
  echo "check-sans-io: no src/*/wire/ files found; the check would prove nothing" >&2
  exit 1
fi
for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "check-sans-io: $f is listed but missing" >&2; exit 1; }
done

pattern='\bmio\b|Instant::now|SystemTime|\b(TcpStream|TcpListener|UdpSocket)\b|std::net::\*'
if grep -nE "$pattern" "${files[@]}"; then
  echo "check-sans-io: the lines above do I/O or read a clock in a wire layer" >&2
  exit 1
fi
echo "check-sans-io: ${#files[@]} wire files, no mio, no clock, no sockets"
