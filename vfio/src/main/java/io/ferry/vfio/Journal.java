package io.ferry.vfio;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The append-only device journal: one JSON object per line, each fsynced before the change it
 * announces. It is how a release (maybe by another process) knows what ferry bound, and how a
 * crashed prepare is undone.
 */
public final class Journal {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path file;

  public Journal(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  public synchronized void append(PciAddress device, JournalEntry.Kind kind, JournalEntry.Step step, Map<String, String> facts)
      throws IOException {
    JournalEntry entry = new JournalEntry(Instant.now().toString(), device.toString(), kind, step, facts);
    byte[] line = (JSON.writeValueAsString(entry) + "\n").getBytes(StandardCharsets.UTF_8);
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ByteBuffer buffer = ByteBuffer.wrap(line);
      while (buffer.hasRemaining()) {
        out.write(buffer);
      }
      out.force(true);
    }
  }

  /**
   * Holds an exclusive lock (a {@code .lock} file beside the journal) so that two processes (the
   * agent and a CLI) never prepare or release devices at the same time. Blocks until it is free.
   */
  public Lock lock() throws IOException {
    Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
    Path parent = lockFile.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    try {
      return new Lock(channel, channel.lock());
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** An exclusive hold on the journal; close it to let others in. */
  public record Lock(FileChannel channel, java.nio.channels.FileLock fileLock) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      try {
        fileLock.release();
      } finally {
        channel.close();
      }
    }
  }

  /** Every complete entry; a torn last line (a crash mid-append) is skipped. */
  public synchronized List<JournalEntry> entries() throws IOException {
    if (!Files.exists(file)) {
      return List.of();
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<JournalEntry> entries = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      try {
        entries.add(JSON.readValue(line, JournalEntry.class));
      } catch (JsonProcessingException e) {
        if (i == lines.size() - 1) {
          break;
        }
        throw new IOException(file + " line " + (i + 1) + " is not a journal entry: " + e.getOriginalMessage(), e);
      }
    }
    return entries;
  }

  /** For each device, the entries of its latest session (from its last BEGIN on). */
  public Map<PciAddress, List<JournalEntry>> latestSessions() throws IOException {
    Map<PciAddress, List<JournalEntry>> sessions = new LinkedHashMap<>();
    for (JournalEntry entry : entries()) {
      PciAddress device = PciAddress.parse(entry.device());
      if (entry.kind() == JournalEntry.Kind.BEGIN) {
        sessions.put(device, new ArrayList<>());
      }
      List<JournalEntry> session = sessions.get(device);
      if (session != null) {
        session.add(entry);
      }
    }
    return sessions;
  }
}
