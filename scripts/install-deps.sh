#!/usr/bin/env bash
# Installs what building and testing logitlens needs and the machine lacks (Debian/Ubuntu, as root).
#   cmake, a C/C++ compiler, make, git  - the native shim and ggml
#   npm                                 - fetches ggml's sources (the node-llama-cpp package) once
#   maven                               - the Java build
#   chromium, fonts-dejavu-core         - headless rendering of the HTML plots in the tests (PlotTest)
#   chromium-driver                     - chromedriver, through which the test of serve drives Chromium (ServeBrowserTest)
# A JDK 25 must be present already (scripts/java-home.sh finds it): Debian 12 packages none.
#   --check   only report: exit 0 when nothing is missing, else print the packages and exit 1
# Without root (and without sudo) it prints the exact apt-get line to run and exits 1.
set -euo pipefail

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v cc >/dev/null && command -v c++ >/dev/null || need+=(build-essential)
command -v make >/dev/null || need+=(make)
command -v git >/dev/null || need+=(git)
command -v npm >/dev/null || need+=(npm)
command -v mvn >/dev/null || need+=(maven)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)

if [ "${1:-}" = --check ]; then
    if [ ${#need[@]} -gt 0 ]; then
        echo "missing packages: ${need[*]}"
        exit 1
    fi
    exit 0
fi

if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        SUDO=sudo
    else
        echo "logitlens needs these Debian packages, and installing them needs root:" >&2
        echo "    sudo apt-get install --no-install-recommends ${need[*]}" >&2
        echo "(or run: sudo $0)" >&2
        exit 1
    fi
    echo "installing: ${need[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

"$(dirname "$0")/java-home.sh" >/dev/null
echo "build dependencies present"
