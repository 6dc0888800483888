#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh: /lamina/run.sh of the net benchmark's guests (every configuration): bring up eth0, serve iperf3 and the host's commands, then wait to be stopped.
# The kernel command line gives the address (bench.ip=10.0.9.N). Modules in
# /lamina/mods (Debian's kernel: virtio_net, e1000; "order" lists them) are
# loaded first; where the driver is built in, insmod fails harmlessly.
# Prints "@NET-READY ip=A driver=D mtu=M" when eth0 is up and both servers
# run, or "@NET-FAIL why". The host drives the workloads through
# /lamina/ctl.sh (busybox nc -ll -e on port 7000), one command a connection.
arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^bench\.$1=//p" | tail -n 1; }
ip=$(arg ip)
for m in $(cat /lamina/mods/order 2>/dev/null); do insmod /lamina/mods/$m.ko 2>/dev/null; done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i + 1)); done
if [ ! -e /sys/class/net/eth0 ]; then
  echo "@NET-FAIL no eth0 after 120 s: $(dmesg | grep -iE 'eth|e1000|virtio|vif|net' | tail -n 2 | tr '\n' ' ')"
  exec sleep 100000
fi
ip link set lo up
ip link set eth0 up && ip addr add "$ip/24" dev eth0 || { echo "@NET-FAIL ip could not configure eth0"; exec sleep 100000; }
iperf3 -s -D -p 5201 || echo "@NET-FAIL iperf3 -s did not start"
nc -ll -p 7000 -e /lamina/ctl.sh &
drv=$(basename "$(readlink /sys/class/net/eth0/device/driver 2>/dev/null)" 2>/dev/null)
sleep 1
echo "@NET-READY ip=$ip driver=${drv:-none} mtu=$(cat /sys/class/net/eth0/mtu)"
exec sleep 100000
