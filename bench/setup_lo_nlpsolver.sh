#!/usr/bin/env bash
# Prepare a LibreOffice profile with the nonlinear solvers (DEPS, SCO) for bench/bench_solve.py.
# Debian ships them in libreoffice-nlpsolver, which apt will not install beside -nogui (it pulls
# the GUI core), so: install Java, download the package, unpack it, zip its extension folder into
# an .oxt and register it into a private profile as a non-root user (unopkg refuses root).
# Needs root. Prints the profile path; pass it as SHEETNET_LO_PROFILE.
set -euo pipefail
dir=${1:-/tmp/sheetnet-nlpsolver}
mkdir -p "$dir"
cd "$dir"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq libreoffice-java-common liblibreoffice-java default-jre-headless zip >/dev/null
[ -f nlp.deb ] || { apt-get download libreoffice-nlpsolver >/dev/null 2>&1; mv libreoffice-nlpsolver_*.deb nlp.deb; }
rm -rf x && dpkg -x nlp.deb x
(cd x/usr/lib/libreoffice/share/extensions/nlpsolver && rm -f "$dir/nlpsolver.oxt" && zip -qr "$dir/nlpsolver.oxt" .)
id sheetnetlo >/dev/null 2>&1 || useradd -m sheetnetlo
rm -rf profile && mkdir profile && chown sheetnetlo profile && chmod 755 "$dir"
su sheetnetlo -s /bin/bash -c "unopkg add -env:UserInstallation=file://$dir/profile $dir/nlpsolver.oxt" >/dev/null 2>&1
chmod -R a+rwX profile
echo "$dir/profile"
