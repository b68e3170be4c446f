package org.daarion.livingmap.api.security;

/**
 * Refused credentials or permissions: 401 ({@code unauthorized}) or 403 ({@code forbidden}) with a
 * reason safe to show the caller. Carries no stack trace: it is an answer, not a bug.
 */
public final class AuthException extends RuntimeException {
  private final int status;
  private final String code;

  private AuthException(int status, String code, String reason) {
    super(reason, null, false, false);
    this.status = status;
    this.code = code;
  }

  public static AuthException unauthorized(String reason) {
    return new AuthException(401, "unauthorized", reason);
  }

  public static AuthException forbidden(String reason) {
    return new AuthException(403, "forbidden", reason);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }
}
