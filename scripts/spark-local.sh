#!/usr/bin/env bash
# Runs the Spark job (dev.logitlens.spark.LensSparkMain: dump and stats, with Spark's Parquet writer and partitions)
# in Spark's local mode on this machine, without a Spark installation: Spark comes from the local Maven repository,
# through the classpath Maven wrote into spark/target/classpath.txt. Build it first:
#     mvn -B -Dlogitlens.skipNative=true -DskipTests -pl spark -am package     (or scripts/test.sh)
# Usage: scripts/spark-local.sh [--master 'local[N]'] dump|stats INPUT --model MODEL [options]   (README: "Spark")
# Without --master: local[*], every core. The options are those of LensSparkMain (its Javadoc, the README).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=$root/spark/target
jar=$(ls "$target"/logitlens-spark-*.jar 2>/dev/null | grep -v -e '-job\.jar$' -e '-sources\.jar$' -e '-javadoc\.jar$' | head -n 1 || true)
if [ -z "$jar" ] || [ ! -f "$target/classpath.txt" ] || [ ! -f "$target/jvm-flags.txt" ]; then
    echo "spark-local: build the Spark module first: mvn -B -DskipTests -pl spark -am package" >&2
    exit 1
fi
JAVA_HOME=$(JAVA_HOME=${JAVA_HOME:-} "$root/scripts/java-home.sh") || exit 1
master=()
case " $* " in
    *" --master "*|*" --master="*) ;;
    *) master=(--master 'local[*]') ;;
esac
# the JVM flags Spark's launcher passes on Java 25 and the engine's (native access, the Vector API), from the pom
read -r -a flags < "$target/jvm-flags.txt"
exec "$JAVA_HOME/bin/java" "${flags[@]}" "-Dlog4j2.configurationFile=$target/log4j2.properties" ${LOGITLENS_SPARK_JAVA_OPTS:-} \
    -cp "$jar:$(cat "$target/classpath.txt")" dev.logitlens.spark.LensSparkMain "$@" "${master[@]}"
