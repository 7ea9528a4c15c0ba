package io.ferry.agent.bench;

import io.ferry.agent.lab.Accelerator;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The libvirt domain XML of the lab guest for {@code --baseline libvirt}: the same kernel,
 * initramfs, kernel command line, memory, machine (q35), accelerator, hotplug mechanism, root
 * ports and e1000e NICs as ferry's lab QEMU, defined on the local libvirtd as a transient domain.
 *
 * <p>Every value is validated before it goes into the template, and text values are XML-escaped
 * as well: the XML is never built from unchecked input.
 *
 * @param name the domain name (letters, digits, '_', '.', '-')
 * @param kernel the guest kernel (absolute path)
 * @param initrd the guest initramfs (absolute path)
 * @param cmdline the kernel command line (printable, no control characters)
 * @param memoryMiB guest memory
 * @param accelerator TCG (domain type {@code qemu}) or KVM (type {@code kvm})
 * @param extraQemuArgs QEMU arguments libvirt has no element for (the native-hotplug switch),
 *     passed with libvirt's {@code qemu:commandline}
 * @param nics the e1000e NICs, one per root port
 * @param console the file the guest console (ttyS0) is written to
 * @param heartbeat the unix socket QEMU listens on for the guest heartbeat (ttyS1)
 */
public record LibvirtDomain(
    String name, Path kernel, Path initrd, String cmdline, int memoryMiB, Accelerator accelerator,
    List<String> extraQemuArgs, List<Nic> nics, Path console, Path heartbeat) {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  private static final Pattern MAC = Pattern.compile("(?:[0-9a-f]{2}:){5}[0-9a-f]{2}");
  private static final Pattern ID = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,31}");
  private static final Pattern PRINTABLE = Pattern.compile("[\\x20-\\x7e]*");
  static final int MAX_NICS = BenchSettings.MAX_DEVICES;

  /**
   * One e1000e: {@code id} as ferry's (libvirt's user alias is {@code ua-<id>}), its MAC, and the
   * root port it sits on (1-based: port k is the k-th pcie-root-port, PCI bus k).
   */
  public record Nic(String id, String mac, int port) {
    public Nic {
      if (id == null || !ID.matcher(id).matches()) {
        throw new IllegalArgumentException("a NIC id is a letter then letters, digits, '_', '-'; got '" + id + "'");
      }
      if (mac == null || !MAC.matcher(mac).matches()) {
        throw new IllegalArgumentException("a NIC MAC is six lower-case hex pairs; got '" + mac + "'");
      }
      if (port < 1 || port > MAX_NICS) {
        throw new IllegalArgumentException("a NIC's root port is 1.." + MAX_NICS + "; got " + port);
      }
    }

    /** The alias libvirt gives the device, and QEMU's device id: {@code ua-} + id. */
    public String alias() {
      return "ua-" + id;
    }
  }

  public LibvirtDomain {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("a domain name is letters, digits, '_', '.', '-' (at most 64); got '" + name + "'");
    }
    kernel = absoluteFile(kernel, "kernel");
    initrd = absoluteFile(initrd, "initrd");
    console = absoluteFile(console, "console");
    heartbeat = absoluteFile(heartbeat, "heartbeat");
    if (heartbeat.toString().length() > 107) {
      throw new IllegalArgumentException("socket path too long for a unix socket (max 107): " + heartbeat);
    }
    printable(cmdline, "the kernel command line");
    if (memoryMiB < 64 || memoryMiB > 1 << 20) {
      throw new IllegalArgumentException("guest memory is 64 MiB .. 1 TiB; got " + memoryMiB);
    }
    Objects.requireNonNull(accelerator, "accelerator");
    extraQemuArgs = List.copyOf(extraQemuArgs);
    extraQemuArgs.forEach(arg -> printable(arg, "a QEMU argument"));
    nics = List.copyOf(nics);
    if (nics.isEmpty() || nics.size() > MAX_NICS) {
      throw new IllegalArgumentException("1.." + MAX_NICS + " NICs; got " + nics.size());
    }
    if (nics.stream().map(Nic::port).distinct().count() != nics.size()
        || nics.stream().map(Nic::id).distinct().count() != nics.size()
        || nics.stream().map(Nic::mac).distinct().count() != nics.size()) {
      throw new IllegalArgumentException("NICs need distinct ids, MACs and root ports: " + nics);
    }
  }

  /** Root ports: as many as the highest port a NIC uses. */
  int rootPorts() {
    return nics.stream().mapToInt(Nic::port).max().orElse(0);
  }

  /** The domain XML for {@code virsh create}. */
  public String xml() {
    StringBuilder x = new StringBuilder();
    x.append("<domain type='").append(accelerator == Accelerator.KVM ? "kvm" : "qemu")
        .append("' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n");
    x.append("  <name>").append(escape(name)).append("</name>\n");
    x.append("  <description>ferry bench migration --baseline libvirt (transient; destroyed when the bench ends)</description>\n");
    x.append("  <memory unit='MiB'>").append(memoryMiB).append("</memory>\n");
    x.append("  <vcpu>1</vcpu>\n");
    x.append("  <os>\n");
    x.append("    <type arch='x86_64' machine='q35'>hvm</type>\n");
    x.append("    <kernel>").append(escape(kernel.toString())).append("</kernel>\n");
    x.append("    <initrd>").append(escape(initrd.toString())).append("</initrd>\n");
    x.append("    <cmdline>").append(escape(cmdline)).append("</cmdline>\n");
    x.append("  </os>\n");
    // ACPI on: the lab's default hotplug on q35's root ports is ACPI PCI hotplug.
    x.append("  <features><acpi/><apic/></features>\n");
    x.append("  <on_poweroff>destroy</on_poweroff>\n");
    x.append("  <on_reboot>destroy</on_reboot>\n");
    x.append("  <on_crash>destroy</on_crash>\n");
    // QEMU runs as root, as the lab's own QEMU does, and libvirt relabels nothing: it reads the
    // guest from ferry's cache and writes the console into the bench's work directory.
    x.append("  <seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>\n");
    x.append("  <devices>\n");
    x.append("    <controller type='usb' model='none'/>\n");
    x.append("    <controller type='pci' index='0' model='pcie-root'/>\n");
    for (int port = 1; port <= rootPorts(); port++) {
      x.append("    <controller type='pci' index='").append(port).append("' model='pcie-root-port'/>\n");
    }
    for (Nic nic : nics) {
      x.append(interfaceXml(nic, "    "));
    }
    x.append("    <serial type='file'><source path='").append(escape(console.toString()))
        .append("'/><target port='0'/></serial>\n");
    x.append("    <serial type='unix'><source mode='bind' path='").append(escape(heartbeat.toString()))
        .append("'/><target port='1'/></serial>\n");
    x.append("    <memballoon model='none'/>\n");
    x.append("  </devices>\n");
    if (!extraQemuArgs.isEmpty()) {
      x.append("  <qemu:commandline>\n");
      for (String arg : extraQemuArgs) {
        x.append("    <qemu:arg value='").append(escape(arg)).append("'/>\n");
      }
      x.append("  </qemu:commandline>\n");
    }
    return x.append("</domain>\n").toString();
  }

  /** One NIC's device XML, as in the domain, for {@code virsh detach-device} and {@code attach-device}. */
  public static String interfaceXml(Nic nic) {
    return interfaceXml(nic, "");
  }

  private static String interfaceXml(Nic nic, String indent) {
    // type='user': libvirt needs a backend for an interface; ferry's lab e1000e has none. The
    // backend (QEMU's user-mode network) does not take part in the PCI unplug and replug.
    return indent + "<interface type='user'>\n"
        + indent + "  <mac address='" + nic.mac() + "'/>\n"
        + indent + "  <model type='e1000e'/>\n"
        + indent + "  <rom enabled='no'/>\n"
        + indent + "  <alias name='" + nic.alias() + "'/>\n"
        + indent + "  <address type='pci' domain='0x0000' bus='" + String.format("0x%02x", nic.port())
        + "' slot='0x00' function='0x0'/>\n"
        + indent + "</interface>\n";
  }

  private static Path absoluteFile(Path path, String what) {
    Objects.requireNonNull(path, what);
    if (!path.isAbsolute()) {
      throw new IllegalArgumentException(what + " must be an absolute path; got " + path);
    }
    printable(path.toString(), what);
    return path.normalize();
  }

  private static void printable(String text, String what) {
    if (text == null || !PRINTABLE.matcher(text).matches()) {
      throw new IllegalArgumentException(what + " must be printable ASCII; got '" + text + "'");
    }
  }

  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("'", "&apos;").replace("\"", "&quot;");
  }
}
