package org.daarion.livingmap.history;

/** A query parameter is invalid; {@link #parameter()} names it so the API can answer 400. */
public final class BadParameterException extends IllegalArgumentException {
  private final String parameter;

  public BadParameterException(String parameter, String problem) {
    super("invalid parameter " + parameter + ": " + problem);
    this.parameter = parameter;
  }

  /** The query-string name of the bad parameter, e.g. {@code limit}. */
  public String parameter() {
    return parameter;
  }
}
