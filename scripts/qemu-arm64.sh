#!/usr/bin/env bash
# Runs the tests of one package on arm64 from an x86 machine: cross-compiles
# the test binary with GOARCH=arm64 (go test -c) and runs it under
# qemu-aarch64 (Debian's qemu-user), in the package's directory as go test
# does, so that testdata paths resolve.
#
# Usage: scripts/qemu-arm64.sh PACKAGE [TEST BINARY FLAGS...]
#
#	scripts/qemu-arm64.sh ./tensor
#	scripts/qemu-arm64.sh ./tensor -test.v -test.run 'TestGemmKernels|TestVec'
#	TAGS=purego scripts/qemu-arm64.sh ./tensor       # the pure-Go fallback
#	QEMU_CPU=neoverse-n1 scripts/qemu-arm64.sh ./infer # another CPU model (qemu-aarch64 -cpu help)
#
# Flags after the package go to the test binary, so they take the -test.
# prefix (-test.v, -test.run, -test.count, -test.bench). The exit status is
# the test binary's. Timings under emulation say nothing about arm64 speed.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 PACKAGE [TEST BINARY FLAGS...]" >&2
  exit 2
fi
pkg=$1
shift
if ! command -v qemu-aarch64 >/dev/null; then
  echo "$0: qemu-aarch64 not found; install it with: apt-get install qemu-user" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
dir=$(GOARCH=arm64 go list -f '{{.Dir}}' "$pkg")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin="$tmp/$(basename "$dir").arm64.test"
GOARCH=arm64 go test -c ${TAGS:+-tags "$TAGS"} -o "$bin" "$pkg"
if [ ! -f "$bin" ]; then
  echo "$0: $pkg has no test files" >&2
  exit 0
fi
cd "$dir"
# Not exec: the trap removes the binary afterwards.
status=0
qemu-aarch64 ${QEMU_CPU:+-cpu "$QEMU_CPU"} "$bin" "$@" || status=$?
exit "$status"
