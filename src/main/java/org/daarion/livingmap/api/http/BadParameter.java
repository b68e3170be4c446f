package org.daarion.livingmap.api.http;

/** A query parameter with a value the route cannot use; answered with HTTP 400 naming it. */
public final class BadParameter extends RuntimeException {
  private final String parameter;

  public BadParameter(String parameter, String message) {
    super(message);
    this.parameter = parameter;
  }

  public String parameter() {
    return parameter;
  }
}
