package org.daarion.livingmap.history;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.daarion.livingmap.event.Event;

/** One pass over a result set of history rows, as events, read as the caller iterates. */
final class EventRows implements Iterator<Event> {
  private final ResultSet rs;
  private Boolean ahead;

  EventRows(ResultSet rs) {
    this.rs = rs;
  }

  @Override
  public boolean hasNext() {
    if (ahead == null) {
      try {
        ahead = rs.next();
      } catch (SQLException e) {
        throw new ReadFailed(e);
      }
    }
    return ahead;
  }

  @Override
  public Event next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    ahead = null;
    try {
      return StoredRows.event(rs);
    } catch (SQLException e) {
      throw new ReadFailed(e);
    }
  }

  /** A read failure while iterating, where an iterator cannot throw a checked exception. */
  static final class ReadFailed extends RuntimeException {
    ReadFailed(SQLException cause) {
      super(cause);
    }

    @Override
    public synchronized SQLException getCause() {
      return (SQLException) super.getCause();
    }
  }
}
