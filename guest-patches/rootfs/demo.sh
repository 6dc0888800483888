# SPDX-License-Identifier: MIT
# demo.sh: what `make run` shows inside the Linux guest before it powers off.
echo "== $(uname -sr) on $(nproc) vCPUs, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
echo "== clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)," \
     "clock events: $(cat /sys/devices/system/clockevents/clockevent0/current_device)"
echo "== interrupts (all of them are Lamina event channels):"
cat /proc/interrupts
echo "== iperf3 over loopback for 2 s:"
iperf3 -s -D -1 >/dev/null 2>&1
sleep 1
iperf3 -c 127.0.0.1 -t 2 -f m | tail -n 4
echo "== powering off"
