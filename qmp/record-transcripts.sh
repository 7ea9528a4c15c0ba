#!/usr/bin/env bash
# Re-records the QMP transcripts the unit tests replay, from the real qemu-system-x86_64 on PATH.
# Usage: qmp/record-transcripts.sh [output-dir]   (default: qmp/src/test/resources/transcripts)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./mvnw -q -B -pl qmp test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
java -cp "qmp/target/test-classes:qmp/target/classes:$(cat qmp/target/test-classpath.txt)" \
  io.ferry.qmp.transcripts.TranscriptRecorder "${1:-qmp/src/test/resources/transcripts}"
