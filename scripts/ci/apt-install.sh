# Sourced by the setup-*.sh scripts: apt_install PURPOSE PACKAGE... installs Debian
# packages, as root or through a password-less sudo; when it cannot, it says which to
# install by hand, and PURPOSE ("to run the browser tests") says what for, then exits 1.
apt_install() {
  local purpose=$1
  shift
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "no apt-get here: install $* by hand $purpose" >&2
    exit 1
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
      echo "not root and no sudo: install $* by hand $purpose" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
