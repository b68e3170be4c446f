package org.daarion.livingmap.simulator;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.daarion.livingmap.config.UpstreamSource;

/**
 * The current {@link Fault} of each simulated upstream service, settable at run time from any
 * thread (from code, or over HTTP with {@code PUT /_sim/faults/{source}}). A change applies to
 * requests that arrive after it; a {@code slow} response already waiting is not cut short.
 */
public final class FaultModes {
  private final Map<UpstreamSource, Fault> faults = new ConcurrentHashMap<>();
  private final Map<UpstreamSource, AtomicLong> requests = new ConcurrentHashMap<>();

  public FaultModes() {
    for (UpstreamSource s : UpstreamSource.values()) {
      faults.put(s, Fault.none());
      requests.put(s, new AtomicLong());
    }
  }

  public void set(UpstreamSource source, Fault fault) {
    faults.put(source, fault == null ? Fault.none() : fault);
    requests.get(source).set(0);
  }

  /**
   * @param source the service name: {@code city-service}, {@code space-service}, {@code
   *     usage-engine}, {@code agents-service}, {@code microdao-service} or {@code dao-service}
   * @throws IllegalArgumentException for an unknown name
   */
  public void set(String source, Fault fault) {
    set(source(source), fault);
  }

  public Fault get(UpstreamSource source) {
    return faults.get(source);
  }

  public Fault get(String source) {
    return get(source(source));
  }

  /** Every source back to {@link Fault.Mode#NONE}. */
  public void clear() {
    for (UpstreamSource s : UpstreamSource.values()) {
      set(s, Fault.none());
    }
  }

  /** Service name to fault, in {@link UpstreamSource} order. */
  public Map<String, Fault> all() {
    Map<String, Fault> out = new LinkedHashMap<>();
    for (UpstreamSource s : UpstreamSource.values()) {
      out.put(s.serviceName(), faults.get(s));
    }
    return out;
  }

  /** For {@link Fault.Mode#FLAPPING}: whether this request of {@code source} should fail. */
  boolean flapFails(UpstreamSource source, Fault fault, long nowMillis) {
    if (fault.periodMs() > 0) {
      return (nowMillis / fault.periodMs()) % 2 == 1;
    }
    long n = requests.get(source).getAndIncrement();
    return (n / fault.flapEvery()) % 2 == 1;
  }

  public static UpstreamSource source(String name) {
    for (UpstreamSource s : UpstreamSource.values()) {
      if (s.serviceName().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown source '"
            + name
            + "'; one of city-service, space-service, usage-engine, agents-service,"
            + " microdao-service, dao-service");
  }
}
