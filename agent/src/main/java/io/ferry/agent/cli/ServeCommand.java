package io.ferry.agent.cli;

import io.ferry.agent.daemon.DaemonCore;
import io.ferry.agent.daemon.DaemonServer;
import io.ferry.agent.daemon.PeerPolicy;
import io.ferry.agent.daemon.SdNotify;
import io.ferry.agent.daemon.TlsFiles;
import io.ferry.agent.daemon.TlsListener;
import io.ferry.agent.daemon.VfioHostDevices;
import io.ferry.agent.event.EventBus;
import io.ferry.agent.event.Phase;
import io.ferry.agent.journal.FileMigrationJournal;
import io.ferry.agent.journal.JournalStep;
import io.ferry.agent.journal.JournalReplay;
import io.ferry.agent.peer.PeerClient;
import java.util.EnumMap;
import java.util.Map;
import picocli.CommandLine;
import io.ferry.vfio.VfioDevices;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ferry serve}: the per-host daemon and its local HTTP API on a unix socket. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the ferry daemon: an HTTP/1.1 JSON API on a unix socket (see README, 'Running the daemon'),",
      "and with --listen also on TCP for peer daemons, behind mutual TLS.",
      "SIGTERM stops it gracefully: new migrations are refused (503), running ones get --stop-grace",
      "to end, then are cancelled (rolled back before the commit); then it exits."
    })
public final class ServeCommand implements Callable<Integer> {
  @Option(names = "--socket", paramLabel = "PATH", defaultValue = "/run/ferry/ferry.sock",
      description = "Unix socket to listen on, mode 0660 (default: ${DEFAULT-VALUE}).")
  Path socket;

  @Option(names = "--allow-uid", paramLabel = "UID",
      description = "Also allow this uid (repeatable); root and the daemon's own uid always are.")
  List<Integer> allowUids = new ArrayList<>();

  @Option(names = "--stop-grace", paramLabel = "DURATION", defaultValue = "60s",
      converter = DurationConverter.class,
      description = "On SIGTERM, how long running migrations may take to end before they are cancelled (default: ${DEFAULT-VALUE}).")
  Duration stopGrace;

  @Option(names = "--listen", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
      description = "Also serve the API on TCP for peer agents, mutual TLS only: needs --tls-cert, --tls-key and --tls-ca.")
  InetSocketAddress listen;

  @Option(names = "--tls-cert", paramLabel = "FILE",
      description = "This daemon's certificate (PEM), presented to peers as server and as client.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", description = "The private key of --tls-cert (PEM, PKCS#8).")
  Path tlsKey;

  @Option(names = "--tls-ca", paramLabel = "FILE",
      description = "The CA (PEM) whose certificates are trusted: peers must present one, both ways.")
  Path tlsCa;

  @Option(names = "--incoming-lease", paramLabel = "DURATION", defaultValue = "60s",
      converter = DurationConverter.class,
      description = "As a peer's destination: how long an incoming migration waits without a call from its source"
          + " (the source renews it while it runs) before it aborts itself, releasing its devices (default: ${DEFAULT-VALUE}; at least 1s).")
  Duration incomingLease;

  @Mixin DevicesCommand.JournalOption journal;

  @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/ferry",
      description = "Where the migration journal (migrations.journal) lives; replayed on start (default: ${DEFAULT-VALUE}).")
  Path stateDir;

  // Test-only: makes journal appends of a phase slow, so a crash test can kill the daemon inside
  // a phase that otherwise lasts milliseconds. Hidden from --help; documented in the README.
  @Option(names = "--journal-slow-phase", paramLabel = "PHASE=DURATION", hidden = true)
  List<String> slowPhases = new ArrayList<>();

  // Test-only, the same for the records of one step (its wire name, e.g. committed) wherever it falls.
  @Option(names = "--journal-slow-step", paramLabel = "STEP=DURATION", hidden = true)
  List<String> slowSteps = new ArrayList<>();

  @Override
  public Integer call() throws IOException, InterruptedException {
    TlsFiles tls;
    try {
      tls = TlsFiles.fromOptions(tlsCert, tlsKey, tlsCa);
    } catch (IllegalArgumentException e) {
      System.err.println("ferry serve: " + e.getMessage());
      return ExitCodes.INVALID;
    }
    if (incomingLease.compareTo(Duration.ofSeconds(1)) < 0) {
      System.err.println("ferry serve: --incoming-lease must be at least 1s (a source renews it every third of it), got "
          + io.ferry.agent.plan.DurationText.format(incomingLease));
      return ExitCodes.INVALID;
    }
    if (listen != null && tls == null) {
      System.err.println("ferry serve: --listen serves peers over mutual TLS only (there is no plaintext TCP mode):"
          + " give --tls-cert, --tls-key and --tls-ca too");
      return ExitCodes.INVALID;
    }
    // Bad TLS files are refused before anything starts (no socket, no listener).
    io.netty.handler.ssl.SslContext clientTls;
    try {
      clientTls = tls == null ? null : tls.clientContext();
      if (listen != null) {
        tls.serverContext();
      }
    } catch (IOException e) {
      System.err.println("ferry serve: " + e.getMessage());
      return ExitCodes.INVALID;
    }
    Path journalPath = journal.path();
    Path migrationsJournal = stateDir.resolve("migrations.journal");
    FileMigrationJournal migrationJournal;
    try {
      migrationJournal = FileMigrationJournal.open(migrationsJournal, slowPhases(), slowSteps());
    } catch (IOException e) {
      // Without its journal the daemon could not recover what it starts: it does not start.
      System.err.println("ferry serve: cannot open the migration journal in " + stateDir + " (--state-dir): " + (e instanceof java.nio.file.FileSystemException ? e.toString() : e.getMessage()));
      return ExitCodes.ERROR;
    }
    JournalReplay.Replay replay = JournalReplay.replay(migrationJournal.recordsAtOpen());
    replay.problems().forEach(p -> System.err.println("ferry: journal: " + p));
    ExecutorService blocking = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "ferry-blocking");
      t.setDaemon(true);
      return t;
    });
    EventBus bus = new EventBus();
    // The same identity calls peers: a destination daemon checks it against its own --tls-ca.
    PeerClient peers = clientTls == null ? null : new PeerClient(clientTls);
    VfioDevices vfio = VfioDevices.forHost(journalPath);
    DaemonCore core = new DaemonCore(bus, vfio, blocking, migrationJournal, new VfioHostDevices(vfio, blocking), peers,
        incomingLease);
    PeerPolicy policy = PeerPolicy.withDefaults(allowUids);
    DaemonServer server = DaemonServer.start(socket, core, policy);
    TlsListener peerListener;
    try {
      peerListener = listen == null ? null : TlsListener.start(listen, core, tls);
    } catch (IOException e) {
      server.close();
      if (peers != null) {
        peers.close();
      }
      bus.close();
      migrationJournal.close();
      blocking.shutdown();
      System.err.println("ferry serve: " + e.getMessage());
      return ExitCodes.ERROR;
    }
    Optional<SdNotify> notify = SdNotify.fromEnvironment();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.err.println("ferry: stopping: refusing new migrations, waiting for running ones");
      notify.ifPresent(n -> send(n, "STOPPING=1"));
      core.drain(stopGrace).join();
      if (peerListener != null) {
        peerListener.close();
      }
      if (peers != null) {
        peers.close();
      }
      // Streams first: each ends with its terminating chunk, queued on its connection's loop
      // ahead of the close the server then asks for; the other order cut them off mid-stream.
      bus.close();
      server.close();
      try {
        migrationJournal.close();
      } catch (IOException e) {
        System.err.println("ferry: closing the journal: " + e.getMessage());
      }
      blocking.shutdown();
      stopped.countDown();
    }, "ferry-stop"));
    System.err.println("ferry: serving on " + server.socket() + " (uids allowed: " + policy.allowedUids() + ")");
    if (peerListener != null) {
      System.err.println("ferry: serving peers on " + peerListener.address() + " (mutual TLS, CA " + tls.authority() + ")");
    }
    notify.ifPresent(n -> send(n, "READY=1"));
    StartupRecovery.run(core, replay, journalPath, blocking);
    stopped.await();
    return ExitCodes.OK;
  }

  private Map<Phase, Duration> slowPhases() {
    Map<Phase, Duration> out = new EnumMap<>(Phase.class);
    keyedDurations("--journal-slow-phase", slowPhases, Phase::valueOf).forEach(out::put);
    return out;
  }

  private Map<String, Duration> slowSteps() {
    return keyedDurations("--journal-slow-step", slowSteps, step -> {
      if (java.util.Arrays.stream(JournalStep.values()).noneMatch(j -> j.wireName().equals(step))) {
        throw new IllegalArgumentException("not a journal step's name (e.g. committed): " + step);
      }
      return step;
    });
  }

  /** {@code KEY=DURATION} values of a test-only option; a bad one is a usage error naming it. */
  private <K> Map<K, Duration> keyedDurations(String option, List<String> values, Function<String, K> key) {
    Map<K, Duration> out = new java.util.LinkedHashMap<>();
    for (String s : values) {
      String[] kv = s.split("=", 2);
      if (kv.length != 2) {
        throw new CommandLine.ParameterException(new CommandLine(this), option + " wants KEY=DURATION, got " + s);
      }
      try {
        out.put(key.apply(kv[0]), new DurationConverter().convert(kv[1]));
      } catch (Exception e) {
        throw new CommandLine.ParameterException(new CommandLine(this), option + " " + s + ": " + e.getMessage());
      }
    }
    return out;
  }

  private static void send(SdNotify n, String state) {
    try {
      n.send(state);
    } catch (IOException e) {
      System.err.println("ferry: sd_notify " + state + " failed: " + e.getMessage());
    }
  }
}
