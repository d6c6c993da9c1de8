package org.memorall.llm.gateway;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.node.NodeConfig;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.logging.Logger;

/**
 * What the gateway checks before it reads a body: CORS, API keys, admin keys on the management endpoints, and the
 * per-client request rate. Mounted before the body handler and the routes, so a request without a valid key never
 * gets its body read. {@code /health}, {@code /ready}, {@code /metrics} and {@code /openapi.json} stay open for
 * orchestrators, scrapers and tools, and the playground's page and files for browsers.
 * Keys are never logged nor echoed: errors say only whether a key was missing or wrong.
 */
final class Security {

  private static final Logger LOG = Logger.getLogger(Security.class.getName());
  private static final Set<String> OPEN_PATHS = Set.of("/health", "/ready", "/metrics", "/openapi.json");
  /** What a browser may send besides the CORS-safelisted headers: the key, JSON, and the per-request time limits. */
  private static final Set<String> CORS_HEADERS = Set.of("Authorization", "Content-Type",
    ChatRoutes.REQUEST_TIMEOUT_HEADER, ChatRoutes.FIRST_TOKEN_TIMEOUT_HEADER);
  /** What a browser app may read of a response: which LLM answered, its queue wait, and when to retry. */
  private static final Set<String> CORS_EXPOSED = Set.of(Responses.SERVED_BY_HEADER, Responses.QUEUE_WAIT_HEADER,
    "Retry-After");
  /** Context key: whether the request's key is an admin key. */
  private static final String ADMIN = "llm.admin";

  private final ApiKeys apiKeys;
  private final ApiKeys adminKeys;
  private final List<String> corsOrigins;
  private final Set<String> corsExtraHeaders;
  /** The host names a same-origin page of this gateway may be loaded from (see {@link #sameOrigin}). */
  private final Set<String> ownHosts;
  private final int perMinute;
  private final RateLimiter rateLimiter;

  Security(NodeConfig config) {
    apiKeys = new ApiKeys(config.apiKeys());
    adminKeys = new ApiKeys(config.adminKeys());
    corsOrigins = config.corsAllowedOrigins();
    corsExtraHeaders = new LinkedHashSet<>(config.corsAllowedHeaders());
    ownHosts = ownHosts(config.httpHost());
    perMinute = config.requestsPerMinute();
    rateLimiter = perMinute == 0 ? null : new RateLimiter(perMinute, System::nanoTime);
    // Counts only: the keys themselves never reach a log.
    LOG.info(() -> "Gateway security: " + (apiKeys.isEmpty() ? "no API keys (open)" : apiKeys.size() + " API key(s)")
      + ", " + (adminKeys.isEmpty() ? "no admin keys" : adminKeys.size() + " admin key(s)")
      + ", rate limit " + (perMinute == 0 ? "off" : perMinute + "/min per " + (apiKeys.isEmpty() ? "address" : "key"))
      + ", CORS " + (corsOrigins.isEmpty() ? "off" : String.join(" ", corsOrigins)));
  }

  /** Mounts the checks on {@code router}; call before the body handler and the routes. */
  void mount(Router router) {
    if (!corsOrigins.isEmpty()) {
      // First, so a preflight (which carries no key) is answered, and errors carry the CORS headers a browser needs.
      // A page of this gateway (the playground) calling it is same-origin: no CORS, whatever origins are listed.
      CorsHandler cors = cors();
      router.route().handler(ctx -> {
        if (sameOrigin(ctx.request())) {
          ctx.next();
        } else {
          cors.handle(ctx);
        }
      });
    }
    router.route().handler(this::authenticate);
    router.post("/llms").handler(this::requireAdmin);
    router.delete("/llms/:name").handler(this::requireAdmin);
    router.post("/llms/:name/serve").handler(this::requireAdmin);
    router.post("/llms/:name/models/:id/unload").handler(this::requireAdmin);
    router.delete("/llms/:name/models/:id").handler(this::requireAdmin);
  }

  private CorsHandler cors() {
    Set<String> headers = new LinkedHashSet<>(CORS_HEADERS);
    headers.addAll(corsExtraHeaders);
    return CorsHandler.create()
      .addOrigins(corsOrigins)
      .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE, HttpMethod.OPTIONS))
      .allowedHeaders(headers)
      .exposedHeaders(CORS_EXPOSED)
      .maxAgeSeconds(600);
  }

  /** API keys (when configured) on every endpoint but the open ones, then the rate limit. */
  private void authenticate(RoutingContext ctx) {
    // The raw path: normalizing throws on a bad %-escape, which the router answers later with a 400.
    String path = trimSlash(ctx.request().path());
    if (OPEN_PATHS.contains(path) || PlaygroundRoutes.OPEN_PATHS.contains(path)) {
      ctx.next();
      return;
    }
    String key = bearer(ctx.request());
    boolean admin = key != null && adminKeys.contains(key);
    boolean valid = admin || (key != null && apiKeys.contains(key));
    if (!apiKeys.isEmpty() && !valid) {
      unauthorized(ctx, key);
      return;
    }
    ctx.put(ADMIN, admin);
    if (rateLimiter != null) {
      // A valid key is the client whatever address it comes from; without one, the address is.
      String client = valid ? ApiKeys.id(key) : "ip:" + ctx.request().remoteAddress().hostAddress();
      long waitMs = rateLimiter.acquire(client);
      if (waitMs > 0) {
        ctx.fail(LlmErrors.withRetryAfter(LlmErrors.of(429, "rate_limit_error", null, "rate_limit_exceeded",
          "Rate limit reached: at most " + perMinute + " requests per minute (limits.requestsPerMinute); retry in "
            + Math.max(1, (waitMs + 999) / 1000) + " s"), waitMs));
        return;
      }
    }
    ctx.next();
  }

  /** Management (create, remove, serve, unload, delete) needs an admin key when admin keys are configured. */
  private void requireAdmin(RoutingContext ctx) {
    if (adminKeys.isEmpty() || Boolean.TRUE.equals(ctx.get(ADMIN))) {
      ctx.next();
      return;
    }
    String key = bearer(ctx.request());
    if (key == null || !apiKeys.contains(key)) {
      unauthorized(ctx, key);
    } else {
      ctx.fail(LlmErrors.of(403, "invalid_request_error", null, "admin_key_required",
        "This API key may not manage LLMs or models: " + ctx.request().method() + " " + ctx.request().path()
          + " needs an admin key"));
    }
  }

  private static void unauthorized(RoutingContext ctx, String key) {
    ctx.response().putHeader("WWW-Authenticate", "Bearer");
    ctx.fail(LlmErrors.of(401, "invalid_request_error", null, "invalid_api_key", key == null
      ? "Missing API key: send it as 'Authorization: Bearer <key>'"
      : "Incorrect API key provided"));
  }

  /**
   * Whether the request comes from a page of this gateway (the playground): its {@code Origin} (browsers send it
   * with a same-origin POST too) is this server as the request addressed it, under a name the server knows itself
   * by. Both headers come from the browser, so the name matters: a DNS-rebinding page sends its own name in both,
   * and is then subject to CORS like any other origin. A gateway reached under another name (behind a proxy, or
   * bound to all interfaces) lists its page's origin in {@code cors.allowedOrigins}.
   */
  private boolean sameOrigin(HttpServerRequest request) {
    String origin = request.getHeader("Origin");
    String host = request.getHeader("Host");
    return origin != null && host != null && origin.equalsIgnoreCase(request.scheme() + "://" + host)
      && ownHosts.contains(hostName(host));
  }

  /** Loopback names, and the address the gateway is bound to unless that is every interface. */
  private static Set<String> ownHosts(String bound) {
    Set<String> hosts = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "[::1]"));
    String name = bound.contains(":") && !bound.startsWith("[") ? "[" + bound + "]" : bound;
    if (!Set.of("0.0.0.0", "[::]", "[0:0:0:0:0:0:0:0]").contains(name)) {
      hosts.add(name.toLowerCase(Locale.ROOT));
    }
    return hosts;
  }

  /** The name of a {@code Host} header without its port: {@code [::1]:8080} → {@code [::1]}. */
  private static String hostName(String host) {
    int colon = host.lastIndexOf(':');
    String name = colon > host.lastIndexOf(']') ? host.substring(0, colon) : host;
    return name.toLowerCase(Locale.ROOT);
  }

  /** The key of {@code Authorization: Bearer <key>}, or null. */
  private static String bearer(HttpServerRequest request) {
    String header = request.getHeader("Authorization");
    if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String key = header.substring(7).trim();
    return key.isEmpty() ? null : key;
  }

  private static String trimSlash(String path) {
    return path != null && path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }
}
