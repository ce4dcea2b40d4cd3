#!/usr/bin/env bash
# Runs Offload in the real Jetty 12 distribution: builds the WAR, fetches jetty-home 12.1.12
# from Maven Central into target/containers (once), and starts it with this repository's
# jetty-base. Offload is then at http://localhost:8080/offload/ ; Ctrl-C stops it.
#
# Extra arguments go to Jetty's start.jar, e.g.
#   scripts/run-jetty.sh jetty.http.port=9090 -Doffload.workers=8
set -euo pipefail
cd "$(dirname "$0")/.."

mvn -B -q -DskipTests package dependency:unpack@containers-dist

war=$(ls target/offload-*.war)
jetty_home=$(ls -d target/containers/jetty-home-12.*)
exec java -jar "$jetty_home/start.jar" \
  "jetty.home=$PWD/$jetty_home" "jetty.base=$PWD/jetty-base" \
  "-Doffload.war=$PWD/$war" "$@"
