#!/bin/sh
# Regenerate tests/fixtures/engine/*.wasm from the .wat sources (wabt's wat2wasm).
set -e
cd "$(dirname "$0")/../fixtures/engine"
for f in *.wat; do wat2wasm "$f" -o "${f%.wat}.wasm"; done
