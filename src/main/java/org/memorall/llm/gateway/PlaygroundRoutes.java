package org.memorall.llm.gateway;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

import java.util.Set;

/**
 * The playground page at {@code /} and its two files under {@code /playground/}: plain static files
 * ({@code webroot/} on the class path) that use the HTTP API like any client. They load without an API key; the
 * page asks for the key and sends it with its API calls.
 */
final class PlaygroundRoutes {

  /** The paths served without an API key: exactly these, so no path can reach an API route around the key check. */
  static final Set<String> OPEN_PATHS = Set.of("/", "/playground/app.js", "/playground/style.css");
  /** Same-origin scripts, styles and API calls only; the page may not be framed (it holds an API key). */
  private static final String CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

  void mount(Router router) {
    StaticHandler files = StaticHandler.create("webroot").setCachingEnabled(false); // a new jar serves new files
    router.get("/").handler(PlaygroundRoutes::securityHeaders).handler(files);
    router.head("/").handler(PlaygroundRoutes::securityHeaders).handler(files); // uptime checks, curl -I
    // Assets, not API: left out of the OpenAPI document. (The page is also at /playground/, with the same headers.)
    router.route("/playground/*").handler(PlaygroundRoutes::securityHeaders).handler(files);
  }

  private static void securityHeaders(RoutingContext ctx) {
    ctx.response().putHeader("Content-Security-Policy", CSP).putHeader("X-Content-Type-Options", "nosniff");
    ctx.next();
  }
}
