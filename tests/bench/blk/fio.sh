#!/bin/sh
# SPDX-License-Identifier: MIT
# fio.sh: one workload of the block benchmark with fio, in a guest or natively: one line of results.
# usage: sh fio.sh WORKLOAD TARGET SECONDS
#   randread_4k_qd1    4 KiB random reads, queue depth 1
#   randread_4k_qd32   4 KiB random reads, queue depth 32
#   randwrite_4k_qd32  4 KiB random writes, queue depth 32
#   seqread_1m         1 MiB sequential reads, queue depth 8
#   seqwrite_1m        1 MiB sequential writes, queue depth 8
# Every job: one job, libaio, O_DIRECT, time-based for SECONDS over the
# whole TARGET (a block device, or the image file natively), no random map.
# Answers "ok bs=B qd=Q rkib=N riops=X rms=T rlat_us=L wkib=N wiops=X wms=T
# wlat_us=L usr=P sys=P" (fio's terse v3 fields: KiB moved, IOPS, runtime
# ms, mean total latency; the job's user and system CPU in percent of its
# runtime), or "err why".
wl=$1 target=$2 secs=$3
case "$wl" in
  randread_4k_qd1) rw=randread bs=4k qd=1 ;;
  randread_4k_qd32) rw=randread bs=4k qd=32 ;;
  randwrite_4k_qd32) rw=randwrite bs=4k qd=32 ;;
  seqread_1m) rw=read bs=1m qd=8 ;;
  seqwrite_1m) rw=write bs=1m qd=8 ;;
  *) echo "err unknown workload '$wl'"; exit 0 ;;
esac
out=/tmp/fio.$wl
if ! fio --name="$wl" --filename="$target" --direct=1 --ioengine=libaio --rw=$rw --bs=$bs --iodepth=$qd \
    --numjobs=1 --time_based --runtime="$secs" --norandommap --randrepeat=0 \
    --output-format=terse --terse-version=3 > "$out" 2> "$out.err"; then
  echo "err fio: $(cat "$out.err" "$out" | grep -v '^$' | head -n 2 | tr '\n' ' ' | cut -c1-200)"
  exit 0
fi
awk -F';' -v bs=$bs -v qd=$qd '$1 == 3 && NF > 90 {
    gsub(/%/, "", $88); gsub(/%/, "", $89)
    printf "ok bs=%s qd=%s rkib=%s riops=%s rms=%s rlat_us=%s wkib=%s wiops=%s wms=%s wlat_us=%s usr=%s sys=%s\n",
      bs, qd, $6, $8, $9, $40, $47, $49, $50, $81, $88, $89; found = 1; exit }
  END { if (!found) print "err fio printed no terse line" }' "$out"
