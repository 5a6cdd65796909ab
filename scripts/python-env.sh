# Shared by run.sh and test.sh: make sure python3 has pip, even on a bare Debian.
# Debian marks its Python "externally managed"; outside a venv we install into it anyway, as the README says.
export PIP_BREAK_SYSTEM_PACKAGES=1
if ! python3 -m pip --version >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
fi
