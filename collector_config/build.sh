#!/usr/bin/env bash
# Builds collector_config/_build/otelcol-vigie from builder-config.yaml with the OpenTelemetry
# Collector Builder, installed by the Go toolchain at the manifest's release. Reuses Go's module and
# build caches (GOMODCACHE, GOCACHE) when they exist, so a second run takes seconds.
# Needs only Go (>= the version the collector's go.mod asks for) and the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")"

BUILDER_VERSION=v0.161.0  # the collector release of builder-config.yaml
GOBIN_DIR="$PWD/_build/bin"
BINARY="$PWD/_build/otelcol-vigie"

# The official Go tarball installs to /usr/local/go, which is not always on PATH.
command -v go >/dev/null || PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "build.sh: Go is not installed (https://go.dev/dl/)" >&2; exit 1; }
mkdir -p "$GOBIN_DIR"
if [[ ! -x "$GOBIN_DIR/builder" ]]; then
  GOBIN="$GOBIN_DIR" go install "go.opentelemetry.io/collector/cmd/builder@${BUILDER_VERSION}"
fi

# The manifest is the only input: a binary newer than it is up to date.
if [[ -x "$BINARY" && "$BINARY" -nt builder-config.yaml && "${VIGIE_COLLECTOR_REBUILD:-0}" != 1 ]]; then
  echo "build.sh: $BINARY is up to date"
else
  start=$(date +%s)
  # -e: the builder's `go mod tidy` also resolves the test-only imports of every component, and the
  # module proxy need not serve those (k8sattributesprocessor's tests import pkg/semconvtest, which
  # is not published); -e lets tidy go on. `go build` ignores -e, so a missing package that the
  # binary needs still fails the build. -p=2: the machines this runs on have two cores.
  GOFLAGS="${GOFLAGS:-} -e -p=2" "$GOBIN_DIR/builder" --config builder-config.yaml
  echo "build.sh: built $BINARY in $(( $(date +%s) - start )) s"
fi
"$BINARY" --version
