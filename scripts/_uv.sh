# Sourced by the scripts: makes `uv` available on a machine that has only Python.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if command -v uv >/dev/null 2>&1; then
  UV=(uv)
else
  if ! python3 -m uv --version >/dev/null 2>&1; then
    echo "installing uv (Python's package manager) with pip…"
    python3 -m pip install --quiet --disable-pip-version-check uv
  fi
  UV=(python3 -m uv)
fi
"${UV[@]}" sync --frozen --quiet
