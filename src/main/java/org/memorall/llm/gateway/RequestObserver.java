package org.memorall.llm.gateway;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The first handler of every request: when the request ends it writes one access-log line and, for chat
 * completions and embeddings, records the metrics. The line has the method, the path (without the query string, which may hold
 * a key), the LLM that answered, the status, the duration and the tokens; never a body or a header.
 */
final class RequestObserver implements Handler<RoutingContext> {

  /** The access log's logger; route it to its own file with java.util.logging if wanted. */
  static final Logger ACCESS = Logger.getLogger("org.memorall.llm.access");
  private static final Pattern CHAT = Pattern.compile("/v1/chat/completions|/llms/[^/]+/v1/chat/completions");
  private static final Pattern EMBEDDINGS = Pattern.compile("/v1/embeddings|/llms/[^/]+/v1/embeddings");
  /** nginx's code for a client that went away before the answer was complete. */
  static final int CLIENT_CLOSED = 499;
  private static final int MAX_PATH = 200;
  /** Compiled once: String.replaceAll would compile it for every request. */
  private static final Pattern UNPRINTABLE = Pattern.compile("[\\p{Cntrl}\\s]");

  private final GatewayMetrics metrics;

  RequestObserver(GatewayMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void handle(RoutingContext ctx) {
    RequestRecord record = RequestRecord.start(ctx);
    HttpServerRequest request = ctx.request();
    String method = request.method().name();
    String path = request.path() == null ? "" : request.path();
    // Once per request: when the response ended, or when the connection closed before.
    ctx.addEndHandler(ar -> {
      HttpServerResponse response = ctx.response();
      int status = response.ended() && ar.succeeded() ? response.getStatusCode() : CLIENT_CLOSED;
      String served = response.headers().get(Responses.SERVED_BY_HEADER);
      String llm = served == null ? GatewayMetrics.NO_LLM : served;
      if ("POST".equals(method) && CHAT.matcher(path).matches()) {
        metrics.chatCompletion(llm, status, record);
      } else if ("POST".equals(method) && EMBEDDINGS.matcher(path).matches()) {
        metrics.embeddings(llm, status, record);
      }
      long ms = (System.nanoTime() - record.startNanos) / 1_000_000;
      int tokens = record.tokens();
      if (ACCESS.isLoggable(Level.INFO)) {
        // logp: naming the source spares java.util.logging a walk of the stack to find it
        ACCESS.logp(Level.INFO, RequestObserver.class.getName(), "handle", method + " " + printable(path) + " llm="
          + (served == null ? "-" : served) + " status=" + status + " ms=" + ms + " tokens="
          + (tokens < 0 ? "-" : String.valueOf(tokens)));
      }
    });
    ctx.next();
  }

  /** The path as one short line: no control characters, bounded length. */
  private static String printable(String path) {
    String p = path.length() > MAX_PATH ? path.substring(0, MAX_PATH) + "..." : path;
    return UNPRINTABLE.matcher(p).replaceAll("?");
  }
}
