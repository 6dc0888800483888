#!/bin/sh
# SPDX-License-Identifier: MIT
# detect-host.sh: the runner's native/testbed decision, on fake /proc/cpuinfo and /dev/kvm files.
d=$(cd "$(dirname "$0")/../runner" && pwd)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
printf 'flags\t\t: fpu vme de pse tsc msr pae mce cx8 svm lm\n' > "$t/svm"
printf 'flags\t\t: fpu vmx lm\n' > "$t/vmx"
printf 'flags\t\t: fpu vme de pse tsc msr pae lm hypervisor\n' > "$t/none"
printf 'flags\t\t: fpu svmx lm\n' > "$t/lookalike"
mknod "$t/kvm" c 1 3 2>/dev/null || { echo "RESULT SKIP detect-host: cannot mknod"; exit 0; }
chmod 0666 "$t/kvm"
check() { # name expected-prefix env...
  name=$1 want=$2; shift 2
  got=$(env "$@" "$d/detect-host" 2>&1)
  case "$got" in
    "$want"*) echo "RESULT PASS detect-host/$name" ;;
    *) echo "RESULT FAIL detect-host/$name: expected '$want...', got '$got'" ;;
  esac
}
check svm-usable "native: host CPU has svm" LAMINA_CPUINFO="$t/svm" LAMINA_KVM_DEV="$t/kvm" LAMINA_RUN_MODE=auto
check vmx-usable "native: host CPU has vmx" LAMINA_CPUINFO="$t/vmx" LAMINA_KVM_DEV="$t/kvm" LAMINA_RUN_MODE=auto
check no-flag "testbed: host CPU has no vmx/svm" LAMINA_CPUINFO="$t/none" LAMINA_KVM_DEV="$t/kvm" LAMINA_RUN_MODE=auto
check lookalike-flag "testbed: host CPU has no vmx/svm" LAMINA_CPUINFO="$t/lookalike" LAMINA_KVM_DEV="$t/kvm" LAMINA_RUN_MODE=auto
check no-dev "testbed: host CPU has svm but $t/nokvm is missing" LAMINA_CPUINFO="$t/svm" LAMINA_KVM_DEV="$t/nokvm" LAMINA_RUN_MODE=auto
check forced-native "native: forced" LAMINA_CPUINFO="$t/none" LAMINA_RUN_MODE=native
check forced-testbed "testbed: forced" LAMINA_CPUINFO="$t/svm" LAMINA_KVM_DEV="$t/kvm" LAMINA_RUN_MODE=testbed
check bad-mode "detect-host: LAMINA_RUN_MODE must be" LAMINA_RUN_MODE=fast
