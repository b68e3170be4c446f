package org.daarion.livingmap.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code nats-server} process for tests, with JetStream on and (optionally) a WebSocket
 * listener. Listens on 127.0.0.1 on free ports chosen at construction; {@link #restart()} keeps the
 * same ports and the same JetStream store directory, so streams, consumers and messages survive a
 * restart. {@link #close()} kills the process and deletes the store.
 *
 * <p>Start-up waits until the server answers on its client port with an {@code INFO} line that
 * reports JetStream (and, with WebSocket, until that port accepts connections): a poll with a
 * deadline, never a fixed sleep.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class NatsServerProcess implements AutoCloseable {
  /** The Debian package path; PATH is searched first. */
  private static final Path DEBIAN_BINARY = Path.of("/usr/sbin/nats-server");

  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final Path binary;
  private final Path dir;
  private final Path storeDir;
  private final Path logFile;
  private final int port;
  private final int wsPort;
  private Process process;
  private Thread shutdownHook;

  private NatsServerProcess(boolean websocket) throws IOException {
    this.binary = findBinary();
    this.dir = Files.createTempDirectory("nats-test-");
    this.storeDir = Files.createDirectories(dir.resolve("store"));
    this.logFile = dir.resolve("nats-server.log");
    this.port = freePort();
    this.wsPort = websocket ? freePort() : -1;
  }

  /** Starts a server with JetStream on a free port. */
  public static NatsServerProcess start() throws IOException {
    return start(false);
  }

  /** Starts a server with JetStream and, when {@code websocket}, a plain WebSocket listener. */
  public static NatsServerProcess start(boolean websocket) throws IOException {
    NatsServerProcess server = new NatsServerProcess(websocket);
    try {
      server.startProcess();
    } catch (RuntimeException | IOException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /**
   * Prepares a server (ports and store chosen) without starting it: for tests that need NATS to be
   * down at first. Call {@link #startAgain()} to start it.
   */
  public static NatsServerProcess notStarted() throws IOException {
    return new NatsServerProcess(false);
  }

  /** {@code nats://127.0.0.1:<port>}. */
  public String url() {
    return "nats://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** The WebSocket port, or -1 when started without WebSocket. */
  public int wsPort() {
    return wsPort;
  }

  /** {@code ws://127.0.0.1:<wsPort>}; fails when started without WebSocket. */
  public String wsUrl() {
    if (wsPort < 0) {
      throw new IllegalStateException("this nats-server was started without WebSocket");
    }
    return "ws://127.0.0.1:" + wsPort;
  }

  public boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Stops the server gracefully (SIGTERM), then forcibly if it does not exit in time. */
  public void stop() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    process = null;
    removeShutdownHook();
  }

  /** Kills the server at once (SIGKILL), as a crash would: nothing is flushed. */
  public void kill() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
    removeShutdownHook();
  }

  /** Starts the server again on the same ports with the same JetStream store. */
  public void startAgain() throws IOException {
    if (isRunning()) {
      throw new IllegalStateException("nats-server is already running on port " + port);
    }
    startProcess();
  }

  /**
   * {@link #stop()} then {@link #startAgain()}: same port, same store, so JetStream data survive.
   */
  public void restart() throws IOException {
    stop();
    startProcess();
  }

  /** The server's log so far (for failure messages). */
  public String log() {
    try {
      return Files.exists(logFile) ? Files.readString(logFile) : "";
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  @Override
  public void close() {
    kill();
    deleteRecursively(dir);
  }

  private void startProcess() throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(binary.toString());
    cmd.addAll(List.of("-a", "127.0.0.1", "-p", Integer.toString(port)));
    cmd.addAll(List.of("-js", "-sd", storeDir.toString()));
    if (wsPort > 0) {
      Path conf = dir.resolve("nats-server.conf");
      Files.writeString(
          conf,
          "websocket {\n  host: \"127.0.0.1\"\n  port: " + wsPort + "\n  no_tls: true\n}\n",
          StandardCharsets.UTF_8);
      cmd.addAll(List.of("-c", conf.toString()));
    }
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    process = pb.start();
    Process started = process;
    shutdownHook = new Thread(started::destroyForcibly, "nats-server-kill-" + port);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    awaitReady(started);
  }

  private void awaitReady(Process started) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    String lastProblem = "no attempt";
    while (System.nanoTime() < deadline) {
      if (!started.isAlive()) {
        throw new IllegalStateException(
            "nats-server exited with code " + started.exitValue() + " at start:\n" + log());
      }
      lastProblem = probe();
      if (lastProblem == null) {
        return;
      }
      try {
        // A poll interval, not a synchronisation: readiness is checked each round.
        started.waitFor(25, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for nats-server", e);
      }
    }
    stop();
    throw new IllegalStateException(
        "nats-server did not become ready on port "
            + port
            + " within "
            + START_TIMEOUT
            + " ("
            + lastProblem
            + "):\n"
            + log());
  }

  /** Null when ready, else what is not ready yet. */
  private String probe() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      s.setSoTimeout(1000);
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String info = in.readLine();
      if (info == null || !info.startsWith("INFO ")) {
        return "no INFO line";
      }
      if (!info.contains("\"jetstream\":true")) {
        return "JetStream not ready";
      }
    } catch (IOException e) {
      return "client port: " + e.getMessage();
    }
    if (wsPort > 0) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", wsPort), 500);
      } catch (IOException e) {
        return "websocket port: " + e.getMessage();
      }
    }
    return null;
  }

  private void removeShutdownHook() {
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException ignored) {
        // the JVM is already shutting down: the hook runs anyway
      }
      shutdownHook = null;
    }
  }

  private static Path findBinary() {
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(java.io.File.pathSeparator)) {
        if (d.isEmpty()) {
          continue;
        }
        Path candidate = Path.of(d, "nats-server");
        if (Files.isExecutable(candidate)) {
          return candidate;
        }
      }
    }
    if (Files.isExecutable(DEBIAN_BINARY)) {
      return DEBIAN_BINARY;
    }
    throw new IllegalStateException(
        "nats-server not found on PATH nor at "
            + DEBIAN_BINARY
            + ": tests that need NATS start a real server. Install it with:"
            + " apt-get install -y nats-server");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }

  private static void deleteRecursively(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (IOException | UncheckedIOException e) {
      // best effort: a temp dir left behind is not a test failure
    }
  }
}
