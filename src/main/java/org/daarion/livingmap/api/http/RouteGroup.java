package org.daarion.livingmap.api.http;

import io.vertx.ext.web.Router;

/** A set of routes that mounts itself; the composition root decides which groups exist. */
public interface RouteGroup {
  void mount(Router router);

  /**
   * The web UI's page was just served: its scripts ask for this group's answers within a second, so
   * one that is slow to prepare may start now (on the event loop: start, never wait).
   */
  default void pageServed() {}
}
