# Shared by the scripts behind `make demo` and `make test`: find Python, build .venv, install system packages.
# Sourced, not run: the caller sets `set -euo pipefail` and cds to the repository root.

VENV=.venv
STAMP="$VENV/.jamaa-requirements.stamp"
MIN_PYTHON="3.12"

if [ -t 1 ]; then BOLD=$'\033[1m' YELLOW=$'\033[33m' RED=$'\033[31m' RESET=$'\033[0m'; else BOLD='' YELLOW='' RED='' RESET=''; fi
say() { printf '%s==> %s%s\n' "$BOLD" "$*" "$RESET"; }
warn() { printf '%s%s%s\n' "$YELLOW" "$*" "$RESET" >&2; }
die() { printf '%sError: %s%s\n' "$RED" "$*" "$RESET" >&2; exit 1; }

python_is_recent() {
  # pyenv shims exist for versions that are not selected and fail when run, so running is the only real test.
  "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
  local candidate
  for candidate in python3.13 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && python_is_recent "$candidate"; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

ensure_venv() {
  if [ -x "$VENV/bin/python" ] && python_is_recent "$VENV/bin/python"; then
    :
  else
    local python
    python="$(find_python)" || die "Jamaa needs Python $MIN_PYTHON or newer (with the venv module), and none was found.
Looked for python3.13, python3.12 and python3 on PATH ($(command -v python3 >/dev/null 2>&1 && python3 --version 2>&1 || echo 'no python3')).
Install one, for example with pyenv (\`pyenv install 3.12\`, the repository's .python-version says 3.12)
or your system's packages (python3.12 python3.12-venv), then run this command again."
    if [ -e "$VENV" ]; then
      warn "$VENV exists but does not work with Python >= $MIN_PYTHON: rebuilding it."
      rm -rf "$VENV"
    fi
    say "Creating $VENV with $("$python" --version 2>&1) ($python)"
    "$python" -m venv "$VENV"
    rm -f "$STAMP"
  fi
  if [ -f "$STAMP" ] && [ "$STAMP" -nt requirements/base.txt ] && [ "$STAMP" -nt requirements/dev.txt ]; then
    return 0
  fi
  say "Installing the pinned Python dependencies (requirements/base.txt, requirements/dev.txt)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input \
    -r requirements/base.txt -r requirements/dev.txt
  touch "$STAMP"
}

# Debian packages the platform needs, each with a way to tell whether it is already there.
package_present() {
  case "$1" in
    gettext) command -v msgfmt >/dev/null 2>&1 ;;
    chromium) command -v chromium >/dev/null 2>&1 ;;
    poppler-utils) command -v pdftotext >/dev/null 2>&1 ;;
    libnss3-tools) command -v certutil >/dev/null 2>&1 ;;
    postgresql-client) command -v pg_isready >/dev/null 2>&1 ;;
    postgresql) command -v pg_ctlcluster >/dev/null 2>&1 && [ -n "$(ls /etc/postgresql 2>/dev/null)" ] ;;
    *) dpkg -s "$1" >/dev/null 2>&1 ;;
  esac
}

# Usage: ensure_system_packages gettext chromium ...
ensure_system_packages() {
  local missing=() package
  for package in "$@"; do
    package_present "$package" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    die "Missing system packages: ${missing[*]}. This machine has no apt-get: install their equivalents, then run again."
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      die "Missing system packages: ${missing[*]}.
Install them as root, then run this command again:
  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    fi
  fi
  say "Installing system packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  for package in "${missing[@]}"; do
    if [ "$package" = postgresql ]; then
      allow_local_postgres_user "${sudo[@]}"
    fi
  done
}

# A PostgreSQL server this script just installed only lets the `postgres` role in through the Unix socket.
# The test run connects over TCP as postgres without a password: allow exactly that, on loopback only.
allow_local_postgres_user() {
  local hba
  for hba in /etc/postgresql/*/main/pg_hba.conf; do
    [ -f "$hba" ] || continue
    if ! grep -q '^# jamaa: local test runs' "$hba"; then
      "$@" sed -i '1i # jamaa: local test runs\nhost all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
      "$@" pg_ctlcluster --skip-systemctl-redirect "$(basename "$(dirname "$(dirname "$hba")")")" main reload \
        >/dev/null 2>&1 || true
    fi
  done
}

ensure_postgres_running() {
  local host="$1" port="$2"
  if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then
    return 0
  fi
  local version
  version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$version" ] || die "No local PostgreSQL cluster in /etc/postgresql, and nothing answers on $host:$port."
  say "Starting PostgreSQL $version"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo -n)
  "${sudo[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  local tries=0
  until pg_isready -q -h "$host" -p "$port"; do
    tries=$((tries + 1))
    [ "$tries" -gt 60 ] && die "PostgreSQL did not answer on $host:$port after 30 seconds (see /var/log/postgresql/)."
    sleep 0.5
  done
}

# Everything both commands need.
ensure_all() {
  ensure_system_packages gettext chromium fonts-noto-core poppler-utils libnss3-tools softhsm2 "$@"
  ensure_venv
}

manage() {
  "$VENV/bin/python" manage.py "$@"
}

compile_messages() {
  # The translator pass adds jamaa/**/locale/*.po; until then there is nothing to compile.
  if find jamaa -name '*.po' -path '*/locale/*' -print -quit | grep -q .; then
    # A broken catalogue must not hide everything else: say so and go on (the translation tests then fail).
    manage compilemessages --ignore .venv --ignore var -v 0 \
      || warn "compilemessages failed (see above): the affected language's pages will not be translated."
  else
    say "No translation catalogues (jamaa/locale) yet: pages show the English source strings where Arabic is missing."
  fi
}
