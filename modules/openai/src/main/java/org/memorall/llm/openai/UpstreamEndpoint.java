package org.memorall.llm.openai;

import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.util.Map;

/** How requests reach the upstream: host, port, TLS, path under the base URL, and the headers every call carries. */
final class UpstreamEndpoint {

  static final String CHAT = "/chat/completions";
  static final String MODELS = "/models";
  static final String EMBEDDINGS = "/embeddings";

  private final OpenAiConfig config;

  UpstreamEndpoint(OpenAiConfig config) {
    this.config = config;
  }

  /** HTTP/1.1 keep-alive: cancelling a request closes its connection, which is what stops the upstream's generation. */
  HttpClientOptions clientOptions(String llmName) {
    return new HttpClientOptions()
      .setName("llm-" + config.type + "-" + llmName)
      .setConnectTimeout((int) config.timeouts.connectMs)
      .setKeepAlive(true)
      .setTcpKeepAlive(true);
  }

  /** One connection per slot, plus room for model listings while every slot streams. */
  PoolOptions poolOptions() {
    return new PoolOptions().setHttp1MaxSize(config.maxConcurrency + 2);
  }

  RequestOptions request(HttpMethod method, String endpoint) {
    String host = config.baseUrl.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    RequestOptions options = new RequestOptions()
      .setMethod(method)
      .setHost(host)
      .setPort(config.port())
      .setSsl(config.ssl())
      .setURI(config.uri(endpoint))
      .setFollowRedirects(false)
      // Also bounds the wait for a pooled connection.
      .setConnectTimeout(config.timeouts.connectMs)
      // What the official SDKs send, streaming or not; compatible servers are tested against them.
      .putHeader("Accept", "application/json");
    if (method == HttpMethod.POST) {
      options.putHeader("Content-Type", "application/json");
    }
    if (config.apiKey != null) {
      options.putHeader("Authorization", "Bearer " + config.apiKey);
    }
    if (config.organization != null) {
      options.putHeader("OpenAI-Organization", config.organization);
    }
    if (config.project != null) {
      options.putHeader("OpenAI-Project", config.project);
    }
    for (Map.Entry<String, String> h : config.headers.entrySet()) {
      options.putHeader(h.getKey(), h.getValue());
    }
    return options;
  }
}
