package org.daarion.livingmap.alert;

import static org.daarion.livingmap.api.http.Responses.error;
import static org.daarion.livingmap.api.http.Responses.json;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.daarion.livingmap.api.http.BadParameter;
import org.daarion.livingmap.api.http.Params;
import org.daarion.livingmap.api.http.Responses;
import org.daarion.livingmap.api.http.RouteGroup;

/**
 * The alert API:
 *
 * <ul>
 *   <li>{@code GET /living-map/alerts?state=&severity=&entity_id=&rule=&limit=}: pending, firing
 *       and recently resolved alerts ({@code state}: pending, firing, resolved, active (pending and
 *       firing) or all (default); {@code severity}: one or a comma-separated list), firing first,
 *       newest first, each marked {@code acked} and {@code silenced}; 400 naming a bad parameter;
 *   <li>{@code GET /living-map/alerts/{id}}, {@code GET /living-map/alerts/rules}, {@code GET
 *       /living-map/alerts/dead-letters} (notifications given up);
 *   <li>admin: {@code POST /living-map/alerts/{id}/ack} (body optional: {@code {by, comment}});
 *       {@code POST /living-map/silences} ({@code {matchers: {rule?, entity_id?, severity?},
 *       expires_at | duration, comment, created_by?}}, 201), {@code DELETE
 *       /living-map/silences/{id}} (204); and {@code GET /living-map/silences} for everyone.
 * </ul>
 *
 * Errors: {@code {"error", "detail", "parameter"?, "time"}} with 400, 403, 404.
 */
public final class AlertRoutes implements RouteGroup {
  private static final Set<String> STATES =
      Set.of("pending", "firing", "resolved", "active", "all");
  private static final int BODY_LIMIT = 64 * 1024;

  private final AlertService service;
  private final Predicate<RoutingContext> isAdmin;

  /**
   * @param isAdmin decides whether a request may acknowledge and silence (the security layer's role
   *     check); null allows everyone
   */
  public AlertRoutes(AlertService service, Predicate<RoutingContext> isAdmin) {
    this.service = service;
    this.isAdmin = isAdmin == null ? ctx -> true : isAdmin;
  }

  @Override
  public void mount(Router router) {
    router.get("/living-map/alerts").handler(this::list);
    router.get("/living-map/alerts/rules").handler(this::rules);
    router.get("/living-map/alerts/dead-letters").handler(this::deadLetters);
    router.get("/living-map/alerts/:id").handler(this::one);
    router
        .post("/living-map/alerts/:id/ack")
        .handler(BodyHandler.create().setBodyLimit(BODY_LIMIT))
        .handler(this::ack);
    router.get("/living-map/silences").handler(this::silences);
    router
        .post("/living-map/silences")
        .handler(BodyHandler.create().setBodyLimit(BODY_LIMIT))
        .handler(this::addSilence);
    router.delete("/living-map/silences/:id").handler(this::deleteSilence);
  }

  private void list(RoutingContext ctx) {
    try {
      String state = oneOf(ctx, "state", STATES);
      List<Severity> severities = new ArrayList<>();
      String sev = param(ctx, "severity");
      if (sev != null) {
        for (String part : sev.split(",")) {
          Severity s = Severity.parse(part);
          if (s == null) {
            throw new BadParameter(
                "severity",
                "severity must be info, warning or critical (comma-separated), got '" + sev + "'");
          }
          severities.add(s);
        }
      }
      String entityId = param(ctx, "entity_id");
      String rule = param(ctx, "rule");
      if (rule != null && service.rules().stream().noneMatch(r -> r.name().equals(rule))) {
        throw new BadParameter("rule", "no rule named '" + rule + "'");
      }
      int limit = intIn(ctx, "limit", 200, 1, 1000);
      JsonArray items = new JsonArray();
      int total = 0;
      int pending = 0;
      int firing = 0;
      int resolved = 0;
      for (Alert a : service.alerts()) {
        if (state != null && !state.equals("all")) {
          boolean ok =
              state.equals("active") ? !Alert.RESOLVED.equals(a.state()) : state.equals(a.state());
          if (!ok) {
            continue;
          }
        }
        if (!severities.isEmpty() && !severities.contains(a.severity())) {
          continue;
        }
        if (entityId != null && !entityId.equals(a.entityId()) && !entityId.equals(a.key())) {
          continue;
        }
        if (rule != null && !rule.equals(a.rule())) {
          continue;
        }
        total++;
        switch (a.state()) {
          case Alert.PENDING -> pending++;
          case Alert.FIRING -> firing++;
          default -> resolved++;
        }
        if (items.size() < limit) {
          items.add(service.view(a));
        }
      }
      json(
          ctx,
          200,
          new JsonObject()
              .put("items", items)
              .put("total", total)
              .put("has_more", total > items.size())
              .put(
                  "counts",
                  new JsonObject()
                      .put("pending", pending)
                      .put("firing", firing)
                      .put("resolved", resolved)));
    } catch (BadParameter e) {
      Responses.badParameter(ctx, e);
    }
  }

  private void rules(RoutingContext ctx) {
    JsonArray items = new JsonArray();
    for (AlertRule r : service.rules()) {
      items.add(r.toJson());
    }
    json(ctx, 200, new JsonObject().put("items", items));
  }

  private void deadLetters(RoutingContext ctx) {
    List<JsonObject> letters = service.notifier().deadLetters();
    json(
        ctx,
        200,
        new JsonObject()
            .put("items", new JsonArray(new ArrayList<>(letters)))
            .put("total", letters.size()));
  }

  private void one(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    Optional<Alert> a = service.alert(id);
    if (a.isEmpty()) {
      json(ctx, 404, error("not_found", "no alert with id '" + id + "'"));
      return;
    }
    json(ctx, 200, service.view(a.get()));
  }

  private void ack(RoutingContext ctx) {
    if (!admin(ctx)) {
      return;
    }
    try {
      JsonObject body = body(ctx);
      String by = string(body, "by", "admin");
      String comment = string(body, "comment", null);
      String id = ctx.pathParam("id");
      Context context = Vertx.currentContext();
      service
          .ack(id, by, comment)
          .whenComplete(
              (a, err) -> {
                Runnable answer =
                    () -> {
                      if (err != null) {
                        json(ctx, 500, error("internal", "acknowledgement failed"));
                      } else if (a.isEmpty()) {
                        json(ctx, 404, error("not_found", "no alert with id '" + id + "'"));
                      } else {
                        json(ctx, 200, service.view(a.get()));
                      }
                    };
                if (context == null) {
                  answer.run();
                } else {
                  context.runOnContext(v -> answer.run());
                }
              });
    } catch (BadParameter e) {
      Responses.badParameter(ctx, e);
    }
  }

  private void silences(RoutingContext ctx) {
    Instant now = service.silences().now();
    JsonArray items = new JsonArray();
    for (Silence s : service.silences().all()) {
      items.add(s.toJson(now));
    }
    json(ctx, 200, new JsonObject().put("items", items));
  }

  private void addSilence(RoutingContext ctx) {
    if (!admin(ctx)) {
      return;
    }
    try {
      JsonObject body = body(ctx);
      if (body == null) {
        throw new BadParameter(
            "body", "a JSON object is required: {matchers, expires_at | duration, comment}");
      }
      if (!(body.getValue("matchers") instanceof JsonObject m)) {
        throw new BadParameter(
            "matchers", "matchers must be an object with rule, entity_id and/or severity");
      }
      for (String key : m.fieldNames()) {
        if (!Set.of("rule", "entity_id", "severity").contains(key)) {
          throw new BadParameter(
              "matchers." + key,
              "unknown matcher '" + key + "' (known: rule, entity_id, severity)");
        }
      }
      String rule = string(m, "rule", null);
      String entityId = string(m, "entity_id", null);
      String sev = string(m, "severity", null);
      if (rule == null && entityId == null && sev == null) {
        throw new BadParameter(
            "matchers",
            "give at least one of matchers.rule, matchers.entity_id, matchers.severity");
      }
      if (rule != null && service.rules().stream().noneMatch(r -> r.name().equals(rule))) {
        throw new BadParameter("matchers.rule", "no rule named '" + rule + "'");
      }
      Severity severity = null;
      if (sev != null) {
        severity = Severity.parse(sev);
        if (severity == null) {
          throw new BadParameter(
              "matchers.severity", "severity must be info, warning or critical, got '" + sev + "'");
        }
      }
      Instant now = service.silences().now();
      Instant expires;
      String at = string(body, "expires_at", null);
      String duration = string(body, "duration", null);
      if ((at == null) == (duration == null)) {
        throw new BadParameter(
            "expires_at", "give exactly one of expires_at (ISO-8601) and duration (such as 2h)");
      }
      if (at != null) {
        try {
          expires = OffsetDateTime.parse(at).toInstant();
        } catch (DateTimeParseException e) {
          throw new BadParameter(
              "expires_at",
              "expires_at must be an ISO-8601 date-time with an offset, got '" + at + "'");
        }
        if (!expires.isAfter(now)) {
          throw new BadParameter("expires_at", "expires_at must be in the future");
        }
      } else {
        Duration d = AlertRules.duration(duration);
        if (d == null || d.isZero()) {
          throw new BadParameter(
              "duration",
              "duration must be positive, such as 30m, 2h or 1d, got '" + duration + "'");
        }
        expires = now.plus(d);
      }
      String comment = string(body, "comment", "");
      String by = string(body, "created_by", "admin");
      Silence s;
      try {
        s = service.silences().add(rule, entityId, severity, expires, comment, by);
      } catch (IllegalStateException e) {
        json(ctx, 409, error("conflict", e.getMessage()));
        return;
      }
      json(ctx, 201, s.toJson(now));
    } catch (BadParameter e) {
      Responses.badParameter(ctx, e);
    }
  }

  private void deleteSilence(RoutingContext ctx) {
    if (!admin(ctx)) {
      return;
    }
    String id = ctx.pathParam("id");
    if (!service.silences().remove(id)) {
      json(ctx, 404, error("not_found", "no silence with id '" + id + "'"));
      return;
    }
    ctx.response().setStatusCode(204).end();
  }

  private boolean admin(RoutingContext ctx) {
    if (isAdmin.test(ctx)) {
      return true;
    }
    if (!ctx.response().ended()) {
      json(ctx, 403, error("forbidden", "this needs the admin role"));
    }
    return false;
  }

  private static JsonObject body(RoutingContext ctx) {
    String text = ctx.body() == null ? null : ctx.body().asString();
    if (text == null || text.isBlank()) {
      return null;
    }
    try {
      Object v = io.vertx.core.json.Json.decodeValue(text);
      if (v instanceof JsonObject o) {
        return o;
      }
    } catch (DecodeException e) {
      throw new BadParameter("body", "the body is not valid JSON: " + e.getMessage());
    }
    throw new BadParameter("body", "the body must be a JSON object");
  }

  private static String string(JsonObject o, String key, String dflt) {
    if (o == null || o.getValue(key) == null) {
      return dflt;
    }
    if (!(o.getValue(key) instanceof String s)) {
      throw new BadParameter(key, key + " must be a string");
    }
    return s.isBlank() ? dflt : s.trim();
  }

  private static String param(RoutingContext ctx, String name) {
    return new Params(ctx.queryParams()).string(name);
  }

  private static String oneOf(RoutingContext ctx, String name, Set<String> allowed) {
    String v = param(ctx, name);
    if (v != null && !allowed.contains(v.toLowerCase(Locale.ROOT))) {
      throw new BadParameter(
          name,
          name
              + " must be one of "
              + String.join(", ", allowed.stream().sorted().toList())
              + ", got '"
              + v
              + "'");
    }
    return v == null ? null : v.toLowerCase(Locale.ROOT);
  }

  private static int intIn(RoutingContext ctx, String name, int dflt, int min, int max) {
    return new Params(ctx.queryParams()).intIn(name, dflt, min, max);
  }
}
