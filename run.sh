#!/usr/bin/env bash
# Builds (if needed) and runs the llm-runtime jar. All arguments go to the jar.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

JAR=target/llm-runtime.jar

if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  cat <<USAGE
Usage: ./run.sh [ARGS...]

Builds $JAR with ./mvnw when it is missing or older than pom.xml, src/ or
modules/, then runs: java \$JAVA_OPTS -jar $JAR ARGS...
All arguments are passed to the jar unchanged.

Commands:
  ./run.sh                          start a node (conf/config.json)
  ./run.sh --cluster                start a node that joins the cluster (conf/cluster.xml; README "Clustering")
  ./run.sh pull USER/REPO [FILE]    download a GGUF from HuggingFace into MODELS_DIR (progress bar)

Environment:
  JAVA_OPTS   extra JVM options, e.g. JAVA_OPTS="-Xmx2g -Djava.util.logging.config.file=conf/logging.properties"
  LLM_CLUSTER_MEMBERS, LLM_CLUSTER_INTERFACE, LLM_NODE_NAME, ...   cluster settings (README "Clustering")
USAGE
  exit 0
fi

needs_build() {
  [[ -f "$JAR" ]] || return 0
  local paths=() p
  for p in pom.xml src modules; do [[ -e "$p" ]] && paths+=("$p"); done
  [[ ${#paths[@]} -gt 0 ]] || return 1
  [[ -n "$(find "${paths[@]}" -newer "$JAR" -print -quit 2>/dev/null)" ]]
}

if needs_build; then
  echo "Building llm-runtime (first run takes a minute)..." >&2
  ./mvnw -q -B -DskipTests package
  [[ -f "$JAR" ]] || { echo "run.sh: build finished but $JAR was not produced" >&2; exit 1; }
  touch "$JAR"  # an up-to-date jar may not be rewritten; avoid rebuilding every run
fi

CLUSTER_OPTS=""
# As the jar: --cluster is its first argument only, and LLM_CLUSTER=true clusters too.
LLM_CLUSTER_FLAG="${LLM_CLUSTER:-}"
if [[ "${1:-}" == "--cluster" || "${LLM_CLUSTER_FLAG,,}" == "true" ]]; then
  # Hazelcast runs faster (and quietly) with access to these JDK internals.
  CLUSTER_OPTS="--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
    --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens java.management/sun.management=ALL-UNNAMED
    --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED"
fi

exec java $CLUSTER_OPTS ${JAVA_OPTS:-} -jar "$JAR" "$@"
