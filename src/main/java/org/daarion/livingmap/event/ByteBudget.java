package org.daarion.livingmap.event;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bound in bytes on what one queue or buffer holds (the heap is the budget that matters, a count
 * alone lets a few large events fill it). Holders take bytes before they keep data and give them
 * back when they let it go. What happens when the budget is spent is the holder's {@link Overflow}
 * policy; the budget only answers "may I" and, for {@link Overflow#BLOCK}, waits.
 *
 * <p>One item larger than the whole budget is let in when nothing else is held, so an item is never
 * stuck forever; the budget is then exceeded by at most that one item (bounded by the event size
 * limit).
 */
public final class ByteBudget {
  /** What a holder does when its budget is spent. Named in metrics and docs. */
  public enum Overflow {
    /** The producer waits (back-pressure: JetStream stops pulling, the owner stops draining). */
    BLOCK,
    /** The item is refused and stored as a rejected event with the reason (NATS core). */
    REJECT,
    /** The consumer's queue is dropped and it is sent a fresh snapshot (WebSocket clients). */
    RESYNC,
    /** The answer stops at the budget and says where to continue (a cursor). */
    TRUNCATE
  }

  private final String name;
  private final long limit;
  private final Overflow overflow;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition released = lock.newCondition();
  private final AtomicLong used = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong waits = new AtomicLong();

  public ByteBudget(String name, long limit, Overflow overflow) {
    if (limit < 1) {
      throw new IllegalArgumentException(name + ": byte budget must be positive");
    }
    this.name = name;
    this.limit = limit;
    this.overflow = overflow;
  }

  public String name() {
    return name;
  }

  public long limit() {
    return limit;
  }

  public Overflow overflow() {
    return overflow;
  }

  /** Bytes held now. */
  public long used() {
    return used.get();
  }

  /** Times {@link #tryAcquire} said no. */
  public long refusedCount() {
    return refused.get();
  }

  /** Times {@link #acquire} had to wait. */
  public long waitCount() {
    return waits.get();
  }

  /** Takes {@code bytes} if they fit (or nothing else is held); never waits. */
  public boolean tryAcquire(long bytes) {
    while (true) {
      long u = used.get();
      if (u > 0 && u + bytes > limit) {
        refused.incrementAndGet();
        return false;
      }
      if (used.compareAndSet(u, u + bytes)) {
        return true;
      }
    }
  }

  /** Takes {@code bytes}, waiting while they do not fit. */
  public void acquire(long bytes) throws InterruptedException {
    if (tryAcquireQuietly(bytes)) {
      return;
    }
    waits.incrementAndGet();
    lock.lockInterruptibly();
    try {
      while (!tryAcquireQuietly(bytes)) {
        // Timed: a release racing this check signals before we wait; the timeout bounds that.
        released.await(10, TimeUnit.MILLISECONDS);
      }
    } finally {
      lock.unlock();
    }
  }

  private boolean tryAcquireQuietly(long bytes) {
    while (true) {
      long u = used.get();
      if (u > 0 && u + bytes > limit) {
        return false;
      }
      if (used.compareAndSet(u, u + bytes)) {
        return true;
      }
    }
  }

  /** Gives back what {@link #acquire} or a successful {@link #tryAcquire} took. */
  public void release(long bytes) {
    if (bytes == 0) {
      return;
    }
    used.addAndGet(-bytes);
    if (lock.tryLock()) {
      try {
        released.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  @Override
  public String toString() {
    return name + " " + used.get() + "/" + limit + " bytes (" + overflow + ")";
  }

  /**
   * What an event weighs in the state owner's queue: the bytes it arrived as plus its parsed tree
   * (strings and maps; about twice the text, as UTF-16 text can be), plus a fixed overhead for the
   * record and its fields.
   */
  public static long weightOf(Event e) {
    byte[] raw = e.payloadJson();
    return weightOfRaw(raw != null ? raw.length : 256);
  }

  /** {@link #weightOf} an event that arrived as {@code rawBytes}. */
  public static long weightOfRaw(long rawBytes) {
    return 512 + 3 * rawBytes;
  }

  /** What an event weighs once only its payload's bytes are kept (history queue, frames). */
  public static long bytesOnlyWeightOf(Event e) {
    byte[] raw = e.payloadJson();
    return 256 + (raw != null ? raw.length : 256);
  }
}
