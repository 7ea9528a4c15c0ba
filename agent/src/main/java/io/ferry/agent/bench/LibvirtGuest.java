package io.ferry.agent.bench;

import io.ferry.agent.lab.HeartbeatMonitor;
import io.ferry.agent.lab.HeartbeatSide;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The lab guest as a transient libvirt domain ({@code virsh create}), for {@code --baseline
 * libvirt}: booted once, paused while ferry's runs go on, and per run resumed, its NICs detached
 * and attached again through virsh, and paused again. {@link #close()} destroys the domain (a
 * transient domain then leaves nothing behind); a JVM shutdown hook does the same on Ctrl-C.
 */
final class LibvirtGuest implements AutoCloseable {
  private static final Duration COMMAND = Duration.ofSeconds(120);
  private static final Duration EVENT_CHECK = Duration.ofSeconds(10);

  private final Path virshProgram;
  private final Virsh.Runner virsh;
  private final LibvirtDomain domain;
  private final VirshEvents events;
  private final Map<String, Path> nicFiles = new LinkedHashMap<>();
  private final Thread shutdownHook;
  private String versions;
  private String migrateSaid;
  private boolean closed;

  private LibvirtGuest(Path virshProgram, LibvirtDomain domain, VirshEvents events) {
    this.virshProgram = virshProgram;
    this.virsh = Virsh.runner(virshProgram, LibvirtBaseline.URI);
    this.domain = domain;
    this.events = events;
    this.shutdownHook = new Thread(this::destroyQuietly, "ferry-libvirt-destroy");
  }

  /**
   * Creates the domain and waits until its guest is up with its NICs (the console's {@code
   * FERRY-READY} and NIC report), checks that libvirt's events reach the bench, tries {@code virsh
   * migrate --live} once to record libvirt's own refusal, then pauses the guest.
   */
  static LibvirtGuest create(Path virsh, LibvirtDomain domain, Path workDir, Duration boot) throws IOException {
    for (Path socket : List.of(domain.heartbeat(), domain.console())) {
      Files.deleteIfExists(socket);
    }
    VirshEvents events = VirshEvents.start(virsh, LibvirtBaseline.URI, domain.name());
    LibvirtGuest guest = new LibvirtGuest(virsh, domain, events);
    Runtime.getRuntime().addShutdownHook(guest.shutdownHook);
    try {
      Path xml = workDir.resolve(domain.name() + ".xml");
      Files.writeString(xml, domain.xml(), StandardCharsets.UTF_8);
      for (LibvirtDomain.Nic nic : domain.nics()) {
        Path file = workDir.resolve(domain.name() + "." + nic.id() + ".xml");
        Files.writeString(file, LibvirtDomain.interfaceXml(nic), StandardCharsets.UTF_8);
        guest.nicFiles.put(nic.alias(), file);
      }
      guest.must(List.of("create", xml.toString()), "virsh create");
      guest.awaitConsole(boot, true);
      guest.checkEvents();
      Virsh.Result version = guest.virsh.run(List.of("version", "--daemon"), COMMAND);
      guest.versions = version.ok() ? LibvirtBaseline.versions(version.stdout()) : null;
      // The step that cannot run: asked once, so that the summary carries libvirt's own answer.
      Virsh.Result migrate = guest.virsh.run(
          List.of("migrate", "--live", domain.name(), LibvirtBaseline.URI), COMMAND);
      guest.migrateSaid = migrate.ok() ? "it migrated (unexpected on one host)" : migrate.message();
      guest.must(List.of("suspend", domain.name()), "virsh suspend");
      return guest;
    } catch (IOException | RuntimeException e) {
      guest.close();
      throw e;
    } catch (InterruptedException e) {
      guest.close();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting the libvirt domain", e);
    }
  }

  LibvirtBaseline.Notes notes() {
    return new LibvirtBaseline.Notes(LibvirtBaseline.URI, versions, domain.name(), LibvirtBaseline.RAN,
        LibvirtBaseline.MIGRATE_NOT_RUN, migrateSaid);
  }

  /**
   * One run: resume, wait for 100 heartbeats, detach every NIC ({@code virsh detach-device}, each
   * until the command returned and libvirt's device-removed event arrived), attach them again
   * ({@code virsh attach-device}), check the guest sees them, pause. Figures in milliseconds.
   */
  Map<String, Double> detachAttach(Duration deadline) throws IOException {
    try {
      must(List.of("resume", domain.name()), "virsh resume");
      try (HeartbeatMonitor heartbeat = HeartbeatMonitor.connect(domain.heartbeat())) {
        heartbeat.awaitCount(HeartbeatSide.SOURCE, 100, deadline).get();
        // virsh's own cost: a process, a connection to libvirtd, one call that changes nothing.
        long noopStart = System.nanoTime();
        must(List.of("domstate", domain.name()), "virsh domstate");
        long noop = System.nanoTime() - noopStart;
        long start = System.nanoTime();
        long firstRemoved = Long.MAX_VALUE;
        long detached = start;
        for (LibvirtDomain.Nic nic : domain.nics()) {
          var removed = events.next("device-removed", nic.alias());
          must(List.of("detach-device", domain.name(), nicFiles.get(nic.alias()).toString(), "--live"),
              "virsh detach-device");
          long returned = System.nanoTime();
          long arrival = removed.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
          firstRemoved = Math.min(firstRemoved, arrival);
          detached = Math.max(returned, arrival);
        }
        long attachStart = System.nanoTime();
        for (LibvirtDomain.Nic nic : domain.nics()) {
          must(List.of("attach-device", domain.name(), nicFiles.get(nic.alias()).toString(), "--live"),
              "virsh attach-device");
        }
        long attached = System.nanoTime();
        // Not timed: the guest has its NICs again before the next run.
        awaitConsole(deadline, false);
        Map<String, Double> ms = new LinkedHashMap<>();
        ms.put(LibvirtBaseline.DETACH, (detached - start) / 1e6);
        ms.put(LibvirtBaseline.ATTACH, (attached - attachStart) / 1e6);
        ms.put(LibvirtBaseline.ABSENCE, (attached - firstRemoved) / 1e6);
        ms.put(LibvirtBaseline.NOOP, noop / 1e6);
        return ms;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("libvirt baseline: " + (e.getCause() == null ? e : e.getCause()).toString(), e);
    } finally {
      if (!closed) {
        try {
          virsh.run(List.of("suspend", domain.name()), COMMAND);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** A console line reporting every NIC of the domain with the e1000e driver bound. */
  static boolean allNicsIn(LibvirtDomain domain, String line) {
    return line.contains("FERRY-NICS:")
        && domain.nics().stream().allMatch(nic -> line.contains(nic.mac() + " e1000e"));
  }

  /**
   * Waits until the guest's latest NIC report shows every NIC (and, at boot, {@code
   * FERRY-READY} was printed). The guest's NIC watcher polls every 50 ms and prints only changes,
   * so after an attach the report is read no sooner than three polls later.
   */
  private void awaitConsole(Duration deadline, boolean boot) throws IOException, InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    if (!boot) {
      Thread.sleep(150);
    }
    while (true) {
      List<String> lines = consoleLines();
      String lastReport = null;
      for (String line : lines) {
        if (line.contains("FERRY-NICS:")) {
          lastReport = line;
        }
      }
      if ((!boot || lines.stream().anyMatch(l -> l.contains("FERRY-READY")))
          && lastReport != null && allNicsIn(domain, lastReport)) {
        return;
      }
      if (System.nanoTime() > end) {
        throw new IOException("the libvirt guest's console (" + domain.console() + ") did not show "
            + (boot ? "FERRY-READY and " : "") + "every NIC within " + deadline.toSeconds()
            + " s; its last lines: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size())));
      }
      Thread.sleep(20);
    }
  }

  private List<String> consoleLines() throws IOException {
    if (!Files.exists(domain.console())) {
      return List.of();
    }
    return List.of(new String(Files.readAllBytes(domain.console()), StandardCharsets.UTF_8).split("\r?\n"));
  }

  /** libvirt's events reach the bench: a description change is seen as metadata-change. */
  private void checkEvents() throws IOException, InterruptedException {
    for (int attempt = 1; attempt <= 3; attempt++) {
      var seen = events.next("metadata-change");
      must(List.of("desc", domain.name(), "--live", "ferry bench migration --baseline libvirt"), "virsh desc");
      try {
        seen.get(EVENT_CHECK.toMillis(), TimeUnit.MILLISECONDS);
        return;
      } catch (TimeoutException e) {
        // the listener may have registered late: ask again
      } catch (ExecutionException e) {
        throw new IOException("virsh event: " + e.getCause().getMessage(), e);
      }
    }
    throw new IOException("virsh event reported no metadata-change for " + domain.name()
        + " in 3 tries: libvirt's events do not reach the bench");
  }

  private void must(List<String> arguments, String what) throws IOException, InterruptedException {
    Virsh.Result r = virsh.run(arguments, COMMAND);
    if (!r.ok()) {
      throw new IOException(what + " failed" + (r.exitCode() < 0 ? "" : " (exit " + r.exitCode() + ")") + ": " + r.message());
    }
  }

  private synchronized void destroyQuietly() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      // A transient domain is gone once destroyed; "not found" means it already was.
      Virsh.run(Virsh.command(virshProgram, LibvirtBaseline.URI, List.of("destroy", domain.name())),
          Duration.ofSeconds(30));
    } catch (IOException e) {
      // nothing more to do from here
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      events.close();
    }
  }

  @Override
  public void close() {
    destroyQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs (or ran) anyway
    }
  }
}
