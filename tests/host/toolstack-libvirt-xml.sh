#!/bin/sh
# SPDX-License-Identifier: MIT
# toolstack-libvirt-xml.sh: three real libvirt domain XMLs: lamina import-libvirt converts what maps (libvirt's <memory>/<currentMemory>, any child order) and refuses the rest naming element, line and reason; lamina validate reads libvirt spellings.
top=$(cd "$(dirname "$0")/../.." && pwd)
lamina=${O:-$top/build}/toolstack/lamina
name=toolstack/libvirt-xml
[ -x "$lamina" ] || { echo "RESULT FAIL $name: $lamina missing"; exit 0; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
export LAMINA_RUN_DIR=$t/run
fail() { echo "RESULT FAIL $name: $*"; exit 0; }
has() { grep -qF -- "$2" "$1" || fail "$(basename "$1") lacks '$2': $(cat "$1")"; }
: > "$t/vmlinuz"; : > "$t/initrd.img"; : > "$t/root.img"

# 1. What virt-install writes for a Debian desktop VM: firmware boot from a
# qcow2 disk (accepted: served through qemu-nbd), a CD-ROM, SPICE. Refused, each reason named with its line.
cat > "$t/debian12.xml" <<'X'
<domain type="kvm">
  <name>debian12</name>
  <uuid>5f1a5c3e-8d1b-4a5e-9b0a-3c2e1d4f6a7b</uuid>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://debian.org/debian/12"/>
    </libosinfo:libosinfo>
  </metadata>
  <memory unit="KiB">2097152</memory>
  <currentMemory unit="KiB">2097152</currentMemory>
  <vcpu placement="static">2</vcpu>
  <os>
    <type arch="x86_64" machine="pc-q35-7.2">hvm</type>
    <boot dev="hd"/>
  </os>
  <features>
    <acpi/>
    <apic/>
    <vmport state="off"/>
  </features>
  <cpu mode="host-passthrough" check="none" migratable="on"/>
  <clock offset="utc">
    <timer name="rtc" tickpolicy="catchup"/>
    <timer name="pit" tickpolicy="delay"/>
    <timer name="hpet" present="no"/>
  </clock>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <pm>
    <suspend-to-mem enabled="no"/>
    <suspend-to-disk enabled="no"/>
  </pm>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type="file" device="disk">
      <driver name="qemu" type="qcow2" discard="unmap"/>
      <source file="/var/lib/libvirt/images/debian12.qcow2"/>
      <target dev="vda" bus="virtio"/>
      <address type="pci" domain="0x0000" bus="0x04" slot="0x00" function="0x0"/>
    </disk>
    <disk type="file" device="cdrom">
      <driver name="qemu" type="raw"/>
      <target dev="sda" bus="sata"/>
      <readonly/>
    </disk>
    <controller type="usb" index="0" model="qemu-xhci" ports="15"/>
    <controller type="pci" index="0" model="pcie-root"/>
    <interface type="network">
      <mac address="52:54:00:6b:3c:58"/>
      <source network="default"/>
      <model type="virtio"/>
    </interface>
    <serial type="pty">
      <target type="isa-serial" port="0"/>
    </serial>
    <console type="pty">
      <target type="serial" port="0"/>
    </console>
    <channel type="spicevmc">
      <target type="virtio" name="com.redhat.spice.0"/>
    </channel>
    <input type="tablet" bus="usb"/>
    <graphics type="spice" autoport="yes"/>
    <sound model="ich9"/>
    <video>
      <model type="qxl" ram="65536" vram="65536" vgamem="16384" heads="1" primary="yes"/>
    </video>
    <memballoon model="virtio"/>
    <rng model="virtio">
      <backend model="random">/dev/urandom</backend>
    </rng>
  </devices>
</domain>
X
out=$("$lamina" import-libvirt "$t/debian12.xml" 2>"$t/e1") && fail "debian12 imported: $out"
has "$t/e1" "debian12.xml:12:3: <os> has no <kernel>: Lamina boots a Linux kernel"
grep -q "<driver type='qcow2'>" "$t/e1" && fail "a qcow2 disk was refused: $(cat "$t/e1")"
has "$t/e1" "debian12.xml:42:5: <disk device='cdrom'>: Lamina has only disks"
has "$t/e1" "debian12.xml: cannot be imported"
[ -z "$out" ] || fail "a refused import printed XML"

# 2. A direct-kernel-boot server, children in an unusual order: imported.
cat > "$t/kboot.xml" <<X
<domain type='kvm' id='7'>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source file='$t/root.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <source network='default'/>
      <mac address='52:54:00:12:34:56'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <memballoon model='virtio'/>
  </devices>
  <name>kboot</name>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$t/vmlinuz</kernel>
    <initrd>$t/initrd.img</initrd>
    <cmdline>console=ttyS0 root=/dev/vda rw</cmdline>
    <boot dev='hd'/>
  </os>
  <vcpu placement='static' current='1'>2</vcpu>
  <currentMemory unit='KiB'>524288</currentMemory>
  <memory unit='KiB'>1048576</memory>
  <uuid>0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6</uuid>
  <on_crash>coredump-restart</on_crash>
  <features><acpi/></features>
</domain>
X
"$lamina" import-libvirt -o "$t/kboot-lamina.xml" "$t/kboot.xml" 2>"$t/e2" || fail "kboot refused: $(cat "$t/e2")"
has "$t/e2" "kboot.xml:1:9: note: type='kvm' becomes type='lamina'"
has "$t/e2" "kboot.xml:3:5: note: dropped <emulator>"
has "$t/e2" "kboot.xml:7:15: note: target vda becomes xvda"
has "$t/e2" "kboot.xml:12:7: note: dropped <model>: Lamina NICs are PV"
has "$t/e2" "kboot.xml:14:5: note: <serial> becomes Lamina's PV console"
has "$t/e2" "kboot.xml:15:5: note: dropped <console>: Lamina has one console"
has "$t/e2" "kboot.xml:20:5: note: <type>hvm</type> becomes <type>linux</type>"
has "$t/e2" "kboot.xml:24:5: note: dropped <boot>"
has "$t/e2" "kboot.xml:29:3: note: dropped <uuid>"
has "$t/e2" "kboot.xml:30:3: note: <on_crash>coredump-restart</on_crash> becomes restart"
o=$t/kboot-lamina.xml
has "$o" '<memory unit="KiB">1048576</memory>'
has "$o" '<currentMemory unit="KiB">524288</currentMemory>'
has "$o" '<vcpu current="1">2</vcpu>'
has "$o" "<target dev=\"xvda\"/>"
has "$o" '<mac address="52:54:00:12:34:56"/>'
has "$o" '<on_crash>restart</on_crash>'
out=$("$lamina" validate "$o" 2>&1) || fail "converted kboot does not validate: $out"
# The original, libvirt spelling and order included, reads as the same domain
# except for what the importer drops; the loader notes libvirt attributes.
cat > "$t/plain.xml" <<X
<domain type='kvm'>
  <os><type arch='x86_64'>hvm</type><kernel>vmlinuz</kernel></os>
  <vcpu placement='static'>2</vcpu>
  <currentMemory unit='MiB'>512</currentMemory>
  <memory unit='GiB'>1</memory>
  <name>plain</name>
</domain>
X
out=$("$lamina" validate "$t/plain.xml" 2>&1) || fail "libvirt-spelled file refused: $out"
echo "$out" | grep -q "plain.xml:3:9: note: placement='...' ignored" || fail "no placement note: $out"
LAMINA_RUN_DIR=$t/run "$lamina" create -n "$t/plain.xml" >/dev/null 2>&1 || fail "create -n of plain.xml failed"

# 3. A Xen PV guest on a host bridge with a 9p share: refused, naming both.
cat > "$t/xenpv.xml" <<X
<domain type='xen'>
  <name>xenpv</name>
  <memory>262144</memory>
  <vcpu>1</vcpu>
  <os>
    <type>linux</type>
    <kernel>$t/vmlinuz</kernel>
    <cmdline>root=/dev/xvda1 ro</cmdline>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <source file='$t/root.img'/>
      <target dev='xvda'/>
    </disk>
    <interface type='bridge'>
      <source bridge='xenbr0'/>
    </interface>
    <filesystem type='mount' accessmode='passthrough'>
      <source dir='/srv/share'/>
      <target dir='share'/>
    </filesystem>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0' bus='3' slot='0' function='0'/></source>
    </hostdev>
    <graphics type='vnc' port='-1'/>
  </devices>
</domain>
X
"$lamina" import-libvirt "$t/xenpv.xml" >/dev/null 2>"$t/e3" && fail "xenpv imported"
has "$t/e3" "xenpv.xml:15:5: <interface type='bridge'>: Lamina NICs join Lamina networks only"
has "$t/e3" "xenpv.xml:18:5: <filesystem>: shared host directories are not supported"
has "$t/e3" "xenpv.xml:22:5: <hostdev>: device pass-through is not supported"
# Without the refused devices it imports: <memory> alone is both sizes.
sed -i '/<interface/,/<\/interface>/d; /<filesystem/,/<\/filesystem>/d; /<hostdev/,/<\/hostdev>/d' "$t/xenpv.xml"
"$lamina" import-libvirt -o "$t/xen-lamina.xml" "$t/xenpv.xml" 2>"$t/e4" || fail "trimmed xenpv refused: $(cat "$t/e4")"
has "$t/xen-lamina.xml" '<memory>262144</memory>'
has "$t/e4" "note: dropped <graphics>"
"$lamina" validate "$t/xen-lamina.xml" >/dev/null 2>&1 || fail "converted xenpv does not validate"
"$lamina" import-libvirt "$t/nosuch.xml" 2>/dev/null && fail "missing file imported"
echo "RESULT PASS $name"
