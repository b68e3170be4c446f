package org.daarion.livingmap.api.http;

import io.vertx.ext.web.Router;

/** A set of routes that mounts itself; the composition root decides which groups exist. */
public interface RouteGroup {
  void mount(Router router);
}
