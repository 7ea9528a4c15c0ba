package io.ferry.agent.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.lab.Accelerator;
import io.ferry.agent.lab.GuestImage;
import io.ferry.agent.lab.Hotplug;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.lab.LabVmBuilder;
import io.ferry.agent.plan.CommitPolicy;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/** The libvirt domain XML of --baseline libvirt: the lab guest's machine, from validated values only. */
class LibvirtDomainTest {
  private static final Path DIR = Path.of("/tmp/ferry-bench-1");

  private static LibvirtDomain domain(String name, String cmdline, List<String> extra, List<LibvirtDomain.Nic> nics) {
    return new LibvirtDomain(name, Path.of("/cache/vmlinuz"), Path.of("/cache/initrd.img"), cmdline, 256,
        Accelerator.TCG, extra, nics, DIR.resolve("c.log"), DIR.resolve("hb.sock"));
  }

  private static Document parse(String xml) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
  }

  private static String text(Document d, String tag) {
    return d.getElementsByTagName(tag).item(0).getTextContent();
  }

  @Test
  void theBenchsDomainIsTheLabGuestWithItsNicOnRootPortOne() throws Exception {
    LabVmBuilder base = LabVm.builder("bench", DIR, new GuestImage(Path.of("/cache/vmlinuz"), Path.of("/cache/initrd.img"), "6.1"))
        .memoryMiB(512).kernelArg("ferry.dirty_mbps=20");
    BenchSettings settings = new BenchSettings(2, CommitPolicy.AFTER_REPLUG, BenchMode.UNPLUG_REPLUG, 1, null, 20,
        BenchSettings.Baseline.LIBVIRT, 1, 0, false);
    LibvirtDomain domain = MigrationBench.libvirtDomain(base, settings, DIR);
    assertThat(domain.name()).matches("ferry-bench-\\d+-[0-9a-f]+");
    Document d = parse(domain.xml());
    Element root = d.getDocumentElement();
    assertThat(root.getAttribute("type")).isEqualTo("qemu");
    assertThat(text(d, "memory")).isEqualTo("512");
    assertThat(((Element) d.getElementsByTagName("memory").item(0)).getAttribute("unit")).isEqualTo("MiB");
    assertThat(text(d, "kernel")).isEqualTo("/cache/vmlinuz");
    assertThat(text(d, "initrd")).isEqualTo("/cache/initrd.img");
    assertThat(text(d, "cmdline")).isEqualTo("console=ttyS0 panic=-1 quiet no_timer_check ferry.dirty_mbps=20")
        .isEqualTo(base.kernelCommandLine());
    assertThat(((Element) d.getElementsByTagName("type").item(0)).getAttribute("machine")).isEqualTo("q35");
    assertThat(d.getElementsByTagName("acpi").getLength()).isEqualTo(1);
    NodeList controllers = d.getElementsByTagName("controller");
    assertThat(controllers.getLength()).isEqualTo(3); // usb none, pcie-root, one root port
    assertThat(((Element) controllers.item(2)).getAttribute("model")).isEqualTo("pcie-root-port");
    Element nic = (Element) d.getElementsByTagName("interface").item(0);
    assertThat(((Element) nic.getElementsByTagName("mac").item(0)).getAttribute("address")).isEqualTo("52:54:00:00:00:11");
    assertThat(((Element) nic.getElementsByTagName("model").item(0)).getAttribute("type")).isEqualTo("e1000e");
    assertThat(((Element) nic.getElementsByTagName("alias").item(0)).getAttribute("name")).isEqualTo("ua-hostnet1");
    assertThat(((Element) nic.getElementsByTagName("rom").item(0)).getAttribute("enabled")).isEqualTo("no");
    assertThat(((Element) nic.getElementsByTagName("address").item(0)).getAttribute("bus")).isEqualTo("0x01");
    // ACPI hotplug is q35's default: nothing passed through to QEMU.
    assertThat(domain.xml()).doesNotContain("qemu:commandline");
    // Console to a file, heartbeat on its own socket, as ttyS0 and ttyS1.
    NodeList serials = d.getElementsByTagName("serial");
    assertThat(((Element) serials.item(0)).getAttribute("type")).isEqualTo("file");
    assertThat(((Element) serials.item(1)).getAttribute("type")).isEqualTo("unix");
    assertThat(domain.console()).isEqualTo(DIR.resolve(domain.name() + ".console.log"));
    // The NIC's own XML, for detach-device and attach-device, is the one in the domain.
    assertThat(domain.xml()).contains(LibvirtDomain.interfaceXml(domain.nics().get(0)).replace("\n", "\n    ").strip());
  }

  @Test
  void kDevicesGetKRootPortsNativeHotplugItsQemuSwitchAndKvmItsDomainType() throws Exception {
    LibvirtDomain domain = new LibvirtDomain("d", Path.of("/k"), Path.of("/i"), "quiet", 256, Accelerator.KVM,
        Hotplug.NATIVE.qemuArguments(), List.of(new LibvirtDomain.Nic("hostnet1", "52:54:00:00:00:11", 1),
            new LibvirtDomain.Nic("hostnet2", "52:54:00:00:00:12", 2)), DIR.resolve("c"), DIR.resolve("h"));
    Document d = parse(domain.xml());
    assertThat(d.getDocumentElement().getAttribute("type")).isEqualTo("kvm");
    assertThat(d.getElementsByTagName("interface").getLength()).isEqualTo(2);
    assertThat(domain.xml()).contains("model='pcie-root-port'", "index='2' model='pcie-root-port'", "bus='0x02'",
        "<qemu:arg value='-global'/>", "<qemu:arg value='ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off'/>");
  }

  @Test
  void textValuesAreEscapedAndBadValuesRefused() throws Exception {
    LibvirtDomain odd = new LibvirtDomain("d", Path.of("/a&b/<k>"), Path.of("/i'\""), "x=<y>&z", 256,
        Accelerator.TCG, List.of(), List.of(new LibvirtDomain.Nic("hostnet1", "52:54:00:00:00:11", 1)),
        DIR.resolve("c"), DIR.resolve("h"));
    Document d = parse(odd.xml());
    assertThat(text(d, "kernel")).isEqualTo("/a&b/<k>");
    assertThat(text(d, "initrd")).isEqualTo("/i'\"");
    assertThat(text(d, "cmdline")).isEqualTo("x=<y>&z");
    List<LibvirtDomain.Nic> one = List.of(new LibvirtDomain.Nic("hostnet1", "52:54:00:00:00:11", 1));
    assertThatThrownBy(() -> domain("a b", "", List.of(), one)).hasMessageContaining("domain name");
    assertThatThrownBy(() -> domain("x'><y", "", List.of(), one)).hasMessageContaining("domain name");
    assertThatThrownBy(() -> domain("d", "quiet\n", List.of(), one)).hasMessageContaining("printable");
    assertThatThrownBy(() -> domain("d", "", List.of(), List.of())).hasMessageContaining("1..8 NICs");
    assertThatThrownBy(() -> new LibvirtDomain("d", Path.of("vmlinuz"), Path.of("/i"), "", 256, Accelerator.TCG,
        List.of(), one, DIR.resolve("c"), DIR.resolve("h"))).hasMessageContaining("absolute");
    assertThatThrownBy(() -> new LibvirtDomain.Nic("hostnet1", "52:54:00:00:00:1'", 1)).hasMessageContaining("MAC");
    assertThatThrownBy(() -> new LibvirtDomain.Nic("a'b", "52:54:00:00:00:11", 1)).hasMessageContaining("NIC id");
    assertThatThrownBy(() -> new LibvirtDomain.Nic("hostnet9", "52:54:00:00:00:19", 9)).hasMessageContaining("root port");
    assertThatThrownBy(() -> domain("d", "", List.of(), List.of(one.get(0), one.get(0)))).hasMessageContaining("distinct");
    assertThatThrownBy(() -> new LibvirtDomain("d", Path.of("/k"), Path.of("/i"), "", 256, Accelerator.TCG, List.of(), one,
        DIR.resolve("c"), Path.of("/" + "x".repeat(120)))).hasMessageContaining("too long");
  }

  @Test
  void theLibvirtBaselineTakesUnplugReplugAndOneGuestOnly() {
    assertThatThrownBy(() -> new BenchSettings(1, CommitPolicy.AFTER_REPLUG, BenchMode.PLAIN, 1, null, 0,
        BenchSettings.Baseline.LIBVIRT, 1, 0, false)).hasMessageContaining("--mode unplug-replug only");
    assertThatThrownBy(() -> new BenchSettings(1, CommitPolicy.AFTER_REPLUG, BenchMode.UNPLUG_REPLUG, 1, null, 0,
        BenchSettings.Baseline.LIBVIRT, 2, 0, false)).hasMessageContaining("--parallel 1 only");
  }
}
