package org.daarion.livingmap.history;

/** The database could not be started, reached or migrated at start-up. */
public final class DatabaseException extends RuntimeException {
  public DatabaseException(String message, Throwable cause) {
    super(message, cause);
  }
}
