#!/usr/bin/env bash
# Builds provwatch as an AWS Lambda function for the provided.al2023 runtime
# (arm64): a static executable named `bootstrap`, zipped at the archive root.
#
#   scripts/build-lambda.sh            # writes dist/provwatch-lambda.zip
#   OUT_DIR=/some/dir VERSION=v1.2.3 scripts/build-lambda.sh
#
# lambda.norpc drops aws-lambda-go's legacy net/rpc handler, which only the
# retired go1.x runtime used; provided.al2023 speaks the Runtime API.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="${OUT_DIR:-$root/dist}"
# Resolve now, against the caller's directory: the zip step runs elsewhere.
mkdir -p "$out_dir" && out_dir="$(cd "$out_dir" && pwd)"
version="${VERSION:-$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)}"
commit="${COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}"

command -v zip >/dev/null || { echo "build-lambda: zip is not installed (apt-get install zip)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$root"
GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath \
  -ldflags "-s -w -X main.version=${version} -X main.commit=${commit}" \
  -o "$work/bootstrap" ./cmd/provwatch

rm -f "$out_dir/provwatch-lambda.zip"
# -j: bootstrap must sit at the root of the archive; -X: no extra file attributes.
(cd "$work" && zip -q -j -X "$out_dir/provwatch-lambda.zip" bootstrap)
echo "$out_dir/provwatch-lambda.zip"
