#!/bin/sh
# SPDX-License-Identifier: MIT
# ctl.sh: one command from the net benchmark's host (over busybox nc -e): run a workload in this guest, answer with one line of results.
#   tcp PEER STREAMS SECONDS  iperf3 -c PEER -P STREAMS -t SECONDS: "ok bytes=N bps=X" (the receiver's sums)
#   ping PEER COUNT INTERVAL   COUNT pings INTERVAL s apart after 3 to warm up: "ok n=N med_us=M min_us=L max_us=H"
#   hello                      "ok"
# Anything else, or a workload that failed: "err why".
read -r cmd peer a b
case "$cmd" in
  hello) echo ok ;;
  tcp)
    if iperf3 -c "$peer" -p 5201 -P "$a" -t "$b" -J > /tmp/iperf.json 2> /tmp/iperf.err; then
      awk -F: '/"sum_received"/ { f = 1 }
        f && /"bytes"/ { gsub(/[ ,\t]/, "", $2); by = $2 }
        f && /"bits_per_second"/ { gsub(/[ ,\t]/, "", $2); print "ok bytes=" by " bps=" $2; exit }' /tmp/iperf.json
    else
      echo "err iperf3: $(grep -m1 '"error"' /tmp/iperf.json | cut -c1-150)$(head -c 150 /tmp/iperf.err)"
    fi ;;
  ping)
    ping -c 3 -W 2 "$peer" > /dev/null 2>&1
    ping -c "$a" -i "$b" -W 2 "$peer" 2>&1 | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -n |
      awk '{ v[NR] = $1 } END { if (!NR) { print "err no ping answered"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "ok n=%d med_us=%.1f min_us=%.1f max_us=%.1f\n", NR, m * 1000, v[1] * 1000, v[NR] * 1000 }' ;;
  *) echo "err unknown command '$cmd'" ;;
esac
