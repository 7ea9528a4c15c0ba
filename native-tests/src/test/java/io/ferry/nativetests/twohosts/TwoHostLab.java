package io.ferry.nativetests.twohosts;

import io.ferry.agent.daemon.TlsFiles;
import io.ferry.agent.lab.HeartbeatMonitor;
import io.ferry.agent.lab.HostPrerequisites;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.LabPki;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.lab.LabVmBuilder;
import io.ferry.nativetests.Prerequisites;
import io.ferry.nativetests.lab.LabGuest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Two hosts on one machine for the peer-protocol tests: two network namespaces joined by a veth
 * pair, a lab QEMU in each (the source booted with its heartbeat going, the destination paused
 * with {@code -incoming defer}), a ferry daemon in each (the destination's listening for peers
 * with mutual TLS, both with certificates of one test CA). {@link #close} takes it all down.
 */
final class TwoHostLab implements AutoCloseable {
  static final Duration BOOT = Duration.ofSeconds(120);
  static final int PEER_PORT = 7443;
  static final int STREAM_PORT = 4444;

  final NetnsPair hosts;
  LabVm source;
  LabVm destination;
  HeartbeatMonitor heartbeat;
  DaemonProcess sourceDaemon;
  DaemonProcess destinationDaemon;
  private final List<AutoCloseable> open = new ArrayList<>();
  private CompletableFuture<LabVm> sourceStart;
  private CompletableFuture<LabVm> destinationStart;

  private TwoHostLab(NetnsPair hosts) {
    this.hosts = hosts;
  }

  /**
   * Starts it all; returns once the source guest is up with a NIC of {@code mac} and its heartbeat
   * beats. {@code sourceSide} and {@code destinationSide} add each QEMU's devices.
   */
  static TwoHostLab start(Path workDir, String name, String mac, UnaryOperator<LabVmBuilder> sourceSide,
      UnaryOperator<LabVmBuilder> destinationSide) throws Exception {
    Prerequisites.require(HostPrerequisites.isRoot(), "root (to create network namespaces with ip netns)");
    Prerequisites.requireProgram("ip", "apt-get install -y iproute2");
    Prerequisites.requireProgram("openssl", "apt-get install -y openssl");
    Prerequisites.requireProgram("curl", "apt-get install -y curl");
    Prerequisites.requireProgram("setpriv", "apt-get install -y util-linux");
    TwoHostLab lab = new TwoHostLab(NetnsPair.create());
    try {
      lab.startAll(workDir, name, mac, sourceSide, destinationSide);
      return lab;
    } catch (Exception | Error e) {
      lab.close();
      throw e;
    }
  }

  private void startAll(Path workDir, String name, String mac, UnaryOperator<LabVmBuilder> sourceSide,
      UnaryOperator<LabVmBuilder> destinationSide) throws Exception {
    LabPki ca = LabPki.create(workDir.resolve("pki"), "ferry-two-hosts-ca");
    TlsFiles sourceTls = ca.issue("host-a", List.of(hosts.firstAddress));
    TlsFiles destinationTls = ca.issue("host-b", List.of(hosts.secondAddress));

    LabVmBuilder machine = LabVm.builder(name, workDir, LabGuest.image()).rootPorts(2);
    sourceStart = sourceSide.apply(machine.copy().name(name + "-src"))
        .launchPrefix(NetnsPair.exec(hosts.first)).startAsync();
    destinationStart = destinationSide.apply(machine.copy().name(name + "-dst").incoming(true))
        .launchPrefix(NetnsPair.exec(hosts.second)).startAsync();
    source = sourceStart.join();
    destination = destinationStart.join();
    heartbeat = HeartbeatMonitor.connect(source.heartbeatSocket(), destination.heartbeatSocket());
    open.add(heartbeat);
    source.awaitConsole(Pattern.compile("FERRY-NICS: .*" + Pattern.quote(mac)), BOOT).join();
    heartbeat.awaitCount(HeartbeatSide.SOURCE, 100, BOOT).join();

    sourceDaemon = DaemonProcess.start("daemon-a", hosts.first, workDir, sourceTls, null);
    open.add(sourceDaemon);
    destinationDaemon = DaemonProcess.start("daemon-b", hosts.second, workDir, destinationTls,
        hosts.secondAddress + ":" + PEER_PORT);
    open.add(destinationDaemon);
  }

  /** The destination daemon's peer address, as a plan names it. */
  String agentUrl() {
    return "https://" + hosts.secondAddress + ":" + PEER_PORT;
  }

  /** The migration stream's uri: a port on the destination host. */
  String streamUri() {
    return "tcp:" + hosts.secondAddress + ":" + STREAM_PORT;
  }

  /** Follows one migration's events on a daemon; closed with the lab. */
  EventFollower follow(DaemonProcess daemon, String id) throws Exception {
    EventFollower follower = EventFollower.follow(daemon.socket, id);
    open.add(follower);
    return follower;
  }

  /** A plan from the source QEMU to the destination's, through the destination's daemon. */
  String plan(String id, String extraFields) {
    return "{\"id\": \"" + id + "\",\n"
        + " \"source\": {\"qmp\": \"" + source.agentQmpSocket() + "\"},\n"
        + " \"destination\": {\"agent\": \"" + agentUrl() + "\",\n"
        + "                 \"qmp\": \"" + destination.agentQmpSocket() + "\"},\n"
        + " \"uri\": \"" + streamUri() + "\",\n"
        + extraFields + "}\n";
  }

  @Override
  public void close() throws Exception {
    Exception first = null;
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    for (CompletableFuture<LabVm> vm : Arrays.asList(sourceStart, destinationStart)) {
      if (vm != null) {
        vm.thenAccept(LabVm::close);
        vm.handle((v, e) -> null).join();
      }
    }
    try {
      hosts.close();
    } catch (Exception e) {
      first = first == null ? e : first;
    }
    if (first != null) {
      throw first;
    }
  }
}
