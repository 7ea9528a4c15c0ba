#!/bin/sh
# ferry lab guest init (busybox sh, PID 1).
# Console (ttyS0): boot markers and the NIC report. Heartbeat: ttyS1, nothing else on it.
# Kernel options it honours:
#   ferry.exec=/abs/path/on/host  run that script from the host's root (9p tag hostroot),
#                                 print FERRY-EXEC-EXIT=<code>, power off
#   ferry.dirty_mbps=N            the heartbeat also dirties N MiB/s of guest memory
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

exec_script=
dirty_mbps=0
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    ferry.exec=*) exec_script="${arg#ferry.exec=}" ;;
    ferry.dirty_mbps=*) dirty_mbps="${arg#ferry.dirty_mbps=}" ;;
  esac
done

# One module per line, dependencies first (the image builder resolved the order).
while read -r module; do
  insmod "/lib/modules/$module.ko" || echo "FERRY-WARN: insmod $module failed"
done < /etc/ferry/modules.order

ip link set lo up
/bin/nicwatch &
/bin/heartbeat --dirty-mbps "$dirty_mbps" /dev/ttyS1 &
echo "FERRY-READY"

if [ -n "$exec_script" ]; then
  mkdir -p /host
  mount -t 9p -o trans=virtio,version=9p2000.L,ro hostroot /host \
    && mount -t proc proc /host/proc \
    && mount -t sysfs sysfs /host/sys \
    && mount -o bind /dev /host/dev \
    && mount -t tmpfs tmpfs /host/tmp
  status=$?
  if [ "$status" -eq 0 ]; then
    chroot /host /bin/sh "$exec_script"
    status=$?
  else
    echo "FERRY-WARN: mounting the host root over 9p failed"
  fi
  echo "FERRY-EXEC-EXIT=$status"
  sync
  poweroff -f
fi

# PID 1 must never exit; the guest lives until QEMU is stopped.
while true; do sleep 3600; done
