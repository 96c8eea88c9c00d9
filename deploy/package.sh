#!/usr/bin/env bash
# Builds the release tarball: deploy/target/backplane-VERSION.tar.gz, unpacking to backplane-VERSION/
#   bin/backplane                 the start script (exec's the JVM, so signals reach the node);
#                                 also `bin/backplane checkpoint|drain` against a running node
#   bin/rolling-restart           deploy/rolling-restart.sh: restart a LAN one node at a time
#   lib/backplane-node.jar        the node, all dependencies included
#   config/backplane.yaml         a configuration template
#   systemd/backplane.service     the unit file, systemd/backplane.env its environment file
#   docs/                         OPERATIONS.md, API.md, ARCHITECTURE.md, CONFIG.md
# The container image (deploy/Containerfile) uses the same layout under /opt/backplane.
#
# Usage: deploy/package.sh [VERSION]   (after `mvn -B -DskipTests package`; Maven's package phase of
# the deploy module runs it too). VERSION defaults to the node's --version.
set -euo pipefail
deploy="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$deploy/.." && pwd)"
jar="$root/backplane-node/target/backplane-node.jar"
if [[ ! -f "$jar" ]]; then
  echo "package.sh: $jar is missing; build it first: mvn -B -DskipTests package" >&2
  exit 1
fi
version="${1:-$(java -jar "$jar" --version | head -n 1 | awk '{print $2}')}"
if [[ ! "$version" =~ ^[0-9A-Za-z.+-]+$ ]]; then
  echo "package.sh: cannot use '$version' as a version" >&2
  exit 1
fi
name="backplane-$version"
out="$deploy/target"
stage="$out/stage/$name"
rm -rf "$out/stage"
mkdir -p "$stage/bin" "$stage/lib" "$stage/config" "$stage/systemd" "$stage/docs"
install -m 0755 "$deploy/bin/backplane" "$stage/bin/backplane"
install -m 0755 "$deploy/rolling-restart.sh" "$stage/bin/rolling-restart"
install -m 0644 "$jar" "$stage/lib/backplane-node.jar"
install -m 0644 "$deploy/config/backplane.yaml" "$stage/config/backplane.yaml"
install -m 0644 "$deploy/systemd/backplane.service" "$deploy/systemd/backplane.env" "$stage/systemd/"
install -m 0644 "$root/docs/OPERATIONS.md" "$root/docs/API.md" "$root/docs/ARCHITECTURE.md" "$root/docs/CONFIG.md" "$stage/docs/"
echo "$version" > "$stage/VERSION"
# Reproducible archive: fixed owner, order and times, so the same inputs give the same bytes.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00:00Z' \
    -C "$out/stage" -czf "$out/$name.tar.gz" "$name"
rm -rf "$out/stage"
echo "$out/$name.tar.gz"
