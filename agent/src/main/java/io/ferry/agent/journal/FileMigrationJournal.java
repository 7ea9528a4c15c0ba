package io.ferry.agent.journal;

import io.ferry.agent.event.EventFormatException;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The migration journal as an append-only NDJSON file: one record per line, each written and
 * fsynced on one writer thread (never a Netty event loop) before its future completes.
 *
 * <p>Opening it takes an exclusive lock ({@code FILE.lock}: one daemon per state directory, or a
 * second one would "recover" the first one's running migrations), cuts off a torn last line (a
 * crash in the middle of a write) and compacts it: only the records of migrations without a
 * result are kept, which is all a restart needs.
 */
public final class FileMigrationJournal implements MigrationJournal, AutoCloseable {
  private final Path file;
  private final FileChannel lockChannel;
  private final List<MigrationEvent> openRecords;
  private final FileChannel channel;
  private final ExecutorService writer;
  private final Map<Phase, Duration> slowPhases;
  private final Map<String, Duration> slowSteps;

  private FileMigrationJournal(Path file, FileChannel lockChannel, List<MigrationEvent> openRecords,
      FileChannel channel, Map<Phase, Duration> slowPhases, Map<String, Duration> slowSteps) {
    this.file = file;
    this.lockChannel = lockChannel;
    this.openRecords = openRecords;
    this.channel = channel;
    this.slowPhases = Map.copyOf(slowPhases);
    this.slowSteps = Map.copyOf(slowSteps);
    this.writer = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "ferry-journal");
      t.setDaemon(true);
      return t;
    });
  }

  /** Opens (creating it and its directory if needed) the journal at {@code file}. */
  public static FileMigrationJournal open(Path file) throws IOException {
    return open(file, Map.of());
  }

  /**
   * Like {@link #open(Path)}, as if the storage were slow in some phases: each record of such a
   * phase (but the one entering it) becomes durable only {@code slowPhases.get(phase)} after its
   * fsync. Crash tests use it to make a millisecond phase last long enough to be killed in.
   */
  public static FileMigrationJournal open(Path file, Map<Phase, Duration> slowPhases) throws IOException {
    return open(file, slowPhases, Map.of());
  }

  /**
   * Like {@link #open(Path, Map)}, and also slow for the records of some steps wherever they fall
   * ({@code slowSteps}, by the step's wire name, e.g. {@code committed}): a crash test can hold
   * the daemon right after one action, not only inside a phase.
   */
  public static FileMigrationJournal open(Path file, Map<Phase, Duration> slowPhases, Map<String, Duration> slowSteps)
      throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    FileChannel lockChannel = FileChannel.open(file.resolveSibling(file.getFileName() + ".lock"),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      boolean locked;
      try {
        locked = lockChannel.tryLock() != null;
      } catch (OverlappingFileLockException e) {
        locked = false; // held in this very process
      }
      if (!locked) {
        throw new IOException("the journal " + file + " is in use by another ferry daemon");
      }
      List<MigrationEvent> open = JournalReplay.stillOpen(read(file));
      // Rewritten beside it, synced, then renamed over it: a crash leaves the old or the new one.
      Path fresh = file.resolveSibling(file.getFileName() + ".new");
      try (FileChannel out = FileChannel.open(fresh, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        for (MigrationEvent r : open) {
          ByteBuffer line = ByteBuffer.wrap((EventJson.toLine(r) + "\n").getBytes(StandardCharsets.UTF_8));
          while (line.hasRemaining()) {
            out.write(line);
          }
        }
        out.force(true);
      }
      Files.move(fresh, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      if (parent != null) {
        syncDirectory(parent);
      }
      FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
      return new FileMigrationJournal(file, lockChannel, open, channel, slowPhases, slowSteps);
    } catch (IOException | RuntimeException e) {
      lockChannel.close();
      throw e;
    }
  }

  /** The records kept at open: those of the migrations that were in flight. */
  public List<MigrationEvent> recordsAtOpen() {
    return openRecords;
  }

  public Path file() {
    return file;
  }

  @Override
  public CompletableFuture<Void> append(MigrationEvent record) {
    byte[] line = (EventJson.toLine(record) + "\n").getBytes(StandardCharsets.UTF_8);
    CompletableFuture<Void> durable = CompletableFuture.runAsync(() -> write(line), writer);
    Object step = record.detail().get("step");
    Duration slow = slowSteps.get(String.valueOf(step));
    if (slow == null && !JournalStep.PHASE_ENTERED.wireName().equals(step)) {
      slow = slowPhases.get(record.phase());
    }
    if (slow == null) {
      return durable;
    }
    Duration delay = slow;
    return durable.thenCompose(v -> {
      CompletableFuture<Void> later = new CompletableFuture<>();
      CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS).execute(() -> later.complete(null));
      return later;
    });
  }

  private void write(byte[] line) {
    try {
      ByteBuffer buffer = ByteBuffer.wrap(line);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the journal " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws IOException {
    writer.shutdown();
    try {
      writer.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      channel.close();
    } finally {
      lockChannel.close(); // releases the lock
    }
  }

  /** Every complete record of the journal at {@code file} (none if it does not exist). */
  public static List<MigrationEvent> records(Path file) throws IOException {
    return read(file);
  }

  /**
   * A line counts once its newline is written: a last line without one (or not parseable) is a
   * record whose append never completed, so its action never ran, and it is ignored (and dropped
   * by the next open's rewrite). A bad line before the last one is damage, not a crash, and is
   * reported.
   */
  private static List<MigrationEvent> read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return List.of();
    }
    byte[] bytes = Files.readAllBytes(file);
    List<MigrationEvent> records = new ArrayList<>();
    int start = 0;
    int lineNo = 0;
    while (start < bytes.length) {
      int end = indexOf(bytes, (byte) '\n', start);
      lineNo++;
      if (end < 0) {
        break; // torn: no newline
      }
      String line = new String(bytes, start, end - start, StandardCharsets.UTF_8);
      boolean last = end == bytes.length - 1;
      if (!line.isBlank()) {
        try {
          records.add(EventJson.fromLine(line));
        } catch (EventFormatException e) {
          if (!last) {
            throw new IOException(file + " line " + lineNo + " is not a journal record: " + e.getMessage(), e);
          }
          break;
        }
      }
      start = end + 1;
    }
    return List.copyOf(records);
  }

  private static int indexOf(byte[] bytes, byte b, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // Some file systems refuse to sync a directory; the file's own fsync still holds.
    }
  }
}
