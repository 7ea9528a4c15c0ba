package io.ferry.agent.lab;

/**
 * One heartbeat line as the host received it.
 *
 * @param side the QEMU whose heartbeat socket delivered it
 * @param sequence the guest's sequence number (consecutive while the guest runs)
 * @param arrivalNanos {@link System#nanoTime()} when the host read it
 */
public record Heartbeat(HeartbeatSide side, long sequence, long arrivalNanos) {}
