package io.ferry.qmp;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Fans events out to subscribers and one-shot waiters. Registration is synchronous and
 * thread-safe, so a waiter registered before a command is sent sees every event that command
 * causes; publishing happens on the I/O thread and never blocks.
 */
final class EventHub {
  private final ScheduledExecutorService eventLoop;
  private final CopyOnWriteArrayList<Subscriber> subscribers = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Waiter> waiters = new CopyOnWriteArrayList<>();
  private volatile QmpDisconnectedException closed;

  private record Waiter(Predicate<QmpEvent> match, CompletableFuture<QmpEvent> future) {}

  EventHub(ScheduledExecutorService eventLoop) {
    this.eventLoop = eventLoop;
  }

  void publish(QmpEvent event) {
    for (Waiter waiter : waiters) {
      if (waiter.future.isDone()) {
        waiters.remove(waiter);
        continue;
      }
      boolean matched;
      try {
        matched = waiter.match.test(event);
      } catch (RuntimeException e) {
        waiters.remove(waiter);
        waiter.future.completeExceptionally(e);
        continue;
      }
      if (matched) {
        waiters.remove(waiter);
        waiter.future.complete(event);
      }
    }
    for (Subscriber subscriber : subscribers) {
      subscriber.offer(event);
    }
  }

  EventSubscription subscribe(QmpEventListener listener, int queueCapacity) {
    if (listener == null) {
      throw new IllegalArgumentException("listener must not be null");
    }
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be at least 1: " + queueCapacity);
    }
    Subscriber[] self = new Subscriber[1];
    Subscriber subscriber =
        new Subscriber(
            listener, queueCapacity, EventDelivery.executor(), () -> subscribers.remove(self[0]));
    self[0] = subscriber;
    subscribers.add(subscriber);
    QmpDisconnectedException cause = closed;
    if (cause != null) {
      subscriber.end(cause);
    }
    return subscriber;
  }

  CompletableFuture<QmpEvent> await(Predicate<QmpEvent> match, Duration deadline) {
    if (match == null) {
      throw new IllegalArgumentException("match must not be null");
    }
    if (deadline == null || deadline.isNegative()) {
      throw new IllegalArgumentException("deadline must be zero or positive: " + deadline);
    }
    Waiter waiter = new Waiter(match, new CompletableFuture<>());
    waiters.add(waiter);
    QmpDisconnectedException cause = closed;
    if (cause != null) {
      waiters.remove(waiter);
      waiter.future.completeExceptionally(copy(cause));
      return waiter.future;
    }
    ScheduledFuture<?> timer =
        eventLoop.schedule(
            () ->
                waiter.future.completeExceptionally(
                    new QmpTimeoutException("no matching event within " + deadline)),
            deadline.toNanos(),
            TimeUnit.NANOSECONDS);
    waiter.future.whenComplete(
        (event, error) -> {
          waiters.remove(waiter);
          timer.cancel(false);
        });
    return waiter.future;
  }

  void close(QmpDisconnectedException cause) {
    closed = cause;
    for (Waiter waiter : waiters) {
      waiter.future.completeExceptionally(copy(cause));
    }
    waiters.clear();
    for (Subscriber subscriber : subscribers) {
      subscriber.end(cause);
    }
  }

  private static QmpDisconnectedException copy(QmpDisconnectedException cause) {
    return new QmpDisconnectedException(cause.getMessage(), cause.getCause());
  }
}
