#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh: /lamina/run.sh of the block benchmark's guests (every configuration): find the disk, then run each fio workload between two markers the host takes its counters at.
# The disk is the first of lvda (Lamina's PV disk), vda (virtio-blk) and
# sda (IDE, through ata_piix). Modules in /lamina/mods (Debian's kernel:
# virtio_blk, ata_piix and what they need; "order" lists them) are loaded
# when "release" there is this kernel's. The kernel command line gives
# bench.secs (fio's seconds a workload), bench.pause (seconds between a
# marker and the work, for the host to read its counters) and bench.wls
# (the workloads, comma-separated). Console lines:
#   @BLK-READY dev=D driver=X sectors=N sched=S   the disk is there
#   @BLK-B WL / @BLK-R WL ok ... / @BLK-A WL      before, result (fio.sh), after
#   @BLK-DONE                                     every workload ran
#   @BLK-FAIL why                                 no disk
arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^bench\.$1=//p" | tail -n 1; }
secs=$(arg secs) pause=$(arg pause) wls=$(arg wls | tr ',' ' ')
secs=${secs:-5} pause=${pause:-2}
wls=${wls:-randread_4k_qd1 randread_4k_qd32 randwrite_4k_qd32 seqread_1m seqwrite_1m}
if [ "$(cat /lamina/mods/release 2>/dev/null)" = "$(uname -r)" ]; then
  for m in $(cat /lamina/mods/order); do insmod /lamina/mods/$m.ko 2>/dev/null; done
fi
dev= i=0
while [ -z "$dev" ] && [ $i -lt 600 ]; do
  for d in lvda vda sda; do [ -b /dev/$d ] && { dev=$d; break; }; done
  [ -n "$dev" ] || { sleep 0.2; i=$((i + 1)); }
done
if [ -z "$dev" ]; then
  echo "@BLK-FAIL no disk (lvda, vda, sda) after 120 s: $(dmesg | grep -iE 'ata|scsi|virtio|vbd|blk' | tail -n 2 | tr '\n' ' ' | cut -c1-200)"
  exec sleep 100000
fi
# no I/O scheduler in any guest: each request goes to its driver as fio sends it
echo none > /sys/block/$dev/queue/scheduler 2>/dev/null
# the drivers from the disk up to its bus (sd+ata_piix, virtio_blk, lamina-blkfront)
drv= p=$(readlink -f /sys/block/$dev)
while [ -n "$p" ] && [ "$p" != /sys/devices ] && [ "$p" != / ]; do
  [ -L "$p/driver" ] && drv="$drv${drv:++}$(basename "$(readlink "$p/driver")")"
  p=$(dirname "$p")
done
# Lamina's disk is a virtual block device: no driver link above it
[ -n "$drv" ] || { dmesg | grep -q 'lamina-blkfront' && drv=lamina-blkfront; }
sched=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/block/$dev/queue/scheduler 2>/dev/null)
echo "@BLK-READY dev=$dev driver=${drv:-none} sectors=$(cat /sys/block/$dev/size) sched=${sched:-none} hwq=$(ls /sys/block/$dev/mq 2>/dev/null | wc -l) max_kib=$(cat /sys/block/$dev/queue/max_sectors_kb)"
sleep "$pause"
for wl in $wls; do
  echo "@BLK-B $wl"
  sleep "$pause"
  r=$(sh /lamina/fio.sh "$wl" /dev/$dev "$secs")
  echo "@BLK-R $wl $r"
  echo "@BLK-A $wl"
  sleep "$pause"
done
echo "@BLK-DONE"
exec sleep 100000
