#!/usr/bin/env bash
# Installs the tests' SMTP server: a pinned aiosmtpd from PyPI in a project-local venv, .venv-mail/ (git-ignored),
# when missing. tests/mail/smtp_sink.py runs on it; `make test` and `make test-faults` call this first.
#
#   scripts/smtp.sh            install when missing, print the venv's python
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VERSION=1.4.6
VENV="$ROOT/.venv-mail"
say() { echo "smtp.sh: $*" >&2; }

if [ "$("$VENV/bin/python" -c 'import aiosmtpd; print(aiosmtpd.__version__)' 2>/dev/null || true)" != "$VERSION" ]; then
  say "installing aiosmtpd $VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$VERSION"
fi
echo "$VENV/bin/python"
