# SPDX-License-Identifier: MIT
# linux_drift.awk: the guest clock's rate against the host's, from marks stamped by the guest and read by the host.
#
# Input: one "g h" pair per line, in order: the guest's printk stamp of a
# mark (guest seconds) and when the host read it (host seconds). The host
# reads a mark some time after it was stamped, never before, so
#   h - g = offset + drift * h + latency,   latency >= 0.
# The rate is the slope of the lower convex hull of the points (h, h - g)
# where it passes the middle of the run: the line under every point that
# the quickest reads touch. A burst of console latency at either end (a
# busy host for the first few marks) lifts points off the hull instead of
# tilting it, as it tilted the older estimate from the first and last
# eight marks.
# Output: "PPM SECONDS MARKS MOVED_MS" (PPM > 0: the guest clock runs fast;
# MOVED_MS: how far the host-guest offset moved over the run); nothing for
# fewer than two marks.
function cross(ax, ay, bx, by, cx, cy) { return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) }
NF >= 2 { x[++m] = $2; y[m] = $2 - $1 }
END {
  if (m < 2) exit 1
  n = 0
  for (i = 1; i <= m; i++) {
    while (n >= 2 && cross(hx[n - 1], hy[n - 1], hx[n], hy[n], x[i], y[i]) <= 0) n--
    hx[++n] = x[i]; hy[n] = y[i]
  }
  mid = (x[1] + x[m]) / 2
  for (k = 1; k < n - 1 && hx[k + 1] < mid; k++) ;
  s = (hy[k + 1] - hy[k]) / (hx[k + 1] - hx[k])
  t = x[m] - x[1]
  printf "%.1f %.3f %d %.3f\n", -s * 1e6, t, m, s * t * 1000
}
