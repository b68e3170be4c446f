package org.daarion.livingmap.source.upstream;

/**
 * Why one upstream request or one poll failed. The message is what the source status shows as
 * {@code last_error}, so it names the path and says what to do where there is something to do.
 */
public final class UpstreamException extends RuntimeException {
  /** What went wrong, which decides whether a retry can help. */
  public enum Kind {
    TIMEOUT(true),
    CONNECTION(true),
    SERVER_ERROR(true),
    UNAUTHORIZED(false),
    NOT_FOUND(false),
    CLIENT_ERROR(false),
    BAD_PAYLOAD(false);

    private final boolean retryable;

    Kind(boolean retryable) {
      this.retryable = retryable;
    }
  }

  static final String UNAUTHORIZED_NO_TOKEN = "unauthorized: set LIVING_MAP_UPSTREAM_TOKEN";
  static final String UNAUTHORIZED_REJECTED =
      "unauthorized: the service rejected LIVING_MAP_UPSTREAM_TOKEN";

  private final Kind kind;
  private final int status;

  UpstreamException(Kind kind, int status, String message) {
    super(message, null, false, false);
    this.kind = kind;
    this.status = status;
  }

  public Kind kind() {
    return kind;
  }

  /** The HTTP status, or 0 when there was no response. */
  public int status() {
    return status;
  }

  public boolean retryable() {
    return kind.retryable;
  }

  static UpstreamException timeout(String path, long ms) {
    return new UpstreamException(Kind.TIMEOUT, 0, "timeout after " + ms + " ms on " + path);
  }

  static UpstreamException connection(String path, Throwable cause) {
    String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return new UpstreamException(Kind.CONNECTION, 0, "connection failed on " + path + ": " + why);
  }

  static UpstreamException http(String path, int status, boolean tokenSet) {
    if (status == 401 || status == 403) {
      return new UpstreamException(
          Kind.UNAUTHORIZED,
          status,
          (tokenSet ? UNAUTHORIZED_REJECTED : UNAUTHORIZED_NO_TOKEN)
              + " (HTTP "
              + status
              + " on "
              + path
              + ")");
    }
    if (status == 404 || status == 405) {
      return new UpstreamException(Kind.NOT_FOUND, status, "HTTP " + status + " on " + path);
    }
    boolean transientStatus = status >= 500 || status == 408 || status == 429;
    return new UpstreamException(
        transientStatus ? Kind.SERVER_ERROR : Kind.CLIENT_ERROR,
        status,
        "HTTP " + status + " on " + path);
  }

  static UpstreamException badPayload(String path, String why) {
    return new UpstreamException(
        Kind.BAD_PAYLOAD, 200, "unexpected response from " + path + ": " + why);
  }
}
