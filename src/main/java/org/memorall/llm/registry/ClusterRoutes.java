package org.memorall.llm.registry;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.Addresses;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmStream;
import org.memorall.llm.stream.StreamProducer;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * Where a request for an LLM goes in a cluster: to this node's own provider, or to the least-busy replica on
 * another node (most free slots minus queued requests; this node on a tie, which saves the hop). It also ends the
 * requests routed to a node that left, at once and with a clear 503 (the request's retries and fallbacks may then
 * take it elsewhere), and reports an LLM whose last provider is gone as unavailable. Used on the registry's
 * context only.
 */
final class ClusterRoutes {

  private static final Logger LOG = Logger.getLogger(ClusterRoutes.class.getName());
  static final String NODE_LEFT = "node_left";
  static final String UNAVAILABLE = "llm_unavailable";
  /** Header of a stream sent to another node: the id of the node it came through. */
  static final String HEADER_ORIGIN = "llm-origin";

  private final Vertx vertx;
  private final Registry registry;
  final ClusterView view;
  /** Requests in flight on other nodes, by node id. */
  private final Map<String, Set<ChatRelay>> remote = new HashMap<>();
  /** Requests served here for other nodes, by the id of the node they came through. */
  private final Map<String, Set<ChatRelay>> servedFor = new HashMap<>();
  /** Calls to other nodes' registries in flight. */
  final NodeCalls calls = new NodeCalls();
  /** The cluster-wide names (see {@link ClusteredRegistry}): a name there that no node serves is unavailable. */
  private final AsyncMap<String, JsonObject> directory;

  ClusterRoutes(Vertx vertx, Registry registry, ClusterView view, AsyncMap<String, JsonObject> directory) {
    this.vertx = vertx;
    this.registry = registry;
    this.view = view;
    this.directory = directory;
  }

  /**
   * The other node's replica that should serve {@code name} now, or null to serve it here (or to find it missing
   * here: see {@link #orMissing}).
   */
  ClusterView.Replica route(String name) {
    List<ClusterView.Replica> replicas = view.replicas(name);
    LlmEntry local = registry.local(name);
    if (replicas.isEmpty()) {
      return null;
    }
    ClusterView.Replica best = replicas.get(0);
    for (ClusterView.Replica r : replicas) {
      if (r.free() > best.free()) {
        best = r;
      }
    }
    boolean localReady = local != null && local.deployment.succeeded() && local.failure() == null;
    if (localReady && local.slots() - local.inFlight() - local.queued() >= best.free()) {
      return null;
    }
    view.sent(best.nodeId(), name);
    return best;
  }

  /** True when this node or another one serves {@code name} now. */
  boolean serves(String name) {
    return registry.local(name) != null || !view.replicas(name).isEmpty();
  }

  /** The 404 for a name that neither this node nor the others serve, naming those they serve. */
  ServiceException notFound(String name, Collection<String> local) {
    Set<String> names = new TreeSet<>(local);
    names.addAll(view.names());
    return LlmErrors.notFound(name, names);
  }

  /**
   * What a request for {@code name}, which no node serves, gets: {@code notFound}, or a 503 when the name exists in
   * the cluster (its nodes left, or it is still starting).
   */
  private Future<ServiceException> missing(String name, ServiceException notFound) {
    return directory.get(name)
      .map(record -> record == null ? notFound : LlmErrors.of(503, "server_error", null, UNAVAILABLE, "LLM '"
        + name + "' is unavailable: no node of the cluster serves it now " + (name.equals(registry.defaultName())
        ? "(it is of type " + record.getString("type") + ", and this node's default is of type "
          + registry.defaultType() + "). It is served once a node of that default type has used it."
        : "(it was created on node '" + record.getString("node") + "'). It is served again when such a node "
          + "(re)joins, or create it anew.")))
      .otherwise(notFound);
  }

  /**
   * {@code call} on this node for {@code name}, whose 404 becomes the 503 of {@link #missing} when no node serves
   * the name now but the cluster knows it (a 404 for a name some node serves is about something else: a model id).
   */
  <T> Future<T> orMissing(String name, Future<T> call) {
    return call.recover(e -> e instanceof ServiceException notFound && notFound.failureCode() == 404 && name != null
      && !serves(name) ? missing(name, notFound).compose(Future::<T>failedFuture) : Future.<T>failedFuture(e));
  }

  /** Relays a stream other than a chat completion (serve progress) to the replica's node. */
  void pipe(ClusterView.Replica target, String action, JsonObject body, StreamProducer out) {
    LlmStream<JsonObject> inner = LlmStream.open(vertx, Addresses.nodeStream(target.nodeId()), action, body,
      new io.vertx.core.eventbus.DeliveryOptions().addHeader(org.memorall.llm.api.LlmClient.HEADER_LLM, target.llm()),
      json -> json);
    out.meta(new JsonObject().put(LlmStream.SERVED_BY, target.llm()));
    out.cancelHandler(inner::cancel);
    inner.handler(out::write).exceptionHandler(out::fail).endHandler(v -> out.end());
  }

  void track(String nodeId, ChatRelay relay) {
    add(remote, nodeId, relay);
  }

  void untrack(String nodeId, ChatRelay relay) {
    remove(remote, nodeId, relay);
  }

  /** This node serves {@code relay} for node {@code origin}: if that node goes, so does the request. */
  void serving(String origin, ChatRelay relay) {
    add(servedFor, origin, relay);
  }

  void served(String origin, ChatRelay relay) {
    remove(servedFor, origin, relay);
  }

  private static void add(Map<String, Set<ChatRelay>> map, String nodeId, ChatRelay relay) {
    map.computeIfAbsent(nodeId, k -> new HashSet<>()).add(relay);
  }

  private static void remove(Map<String, Set<ChatRelay>> map, String nodeId, ChatRelay relay) {
    Set<ChatRelay> set = map.get(nodeId);
    if (set != null && set.remove(relay) && set.isEmpty()) {
      map.remove(nodeId);
    }
  }

  /**
   * Node {@code nodeId} is gone with {@code llms}: the requests it served end now (or go on elsewhere), and those
   * this node served for it stop generating (their client went with it).
   */
  void nodeLeft(String nodeId, String nodeName, Collection<String> llms) {
    for (String llm : llms) {
      if (registry.local(llm) == null && view.replicas(llm).isEmpty()) {
        LOG.warning(() -> "LLM '" + llm + "' has no provider left in the cluster: unavailable");
      }
    }
    calls.nodeLeft(nodeId, LlmErrors.of(503, "server_error", null, NODE_LEFT, "Node '" + nodeName
      + "' left the cluster before it answered"));
    Set<ChatRelay> lost = remote.remove(nodeId);
    if (lost != null) {
      LOG.warning(() -> "Ending " + lost.size() + " requests in flight on node '" + nodeName + "'");
      lost.forEach(r -> r.nodeLost(LlmErrors.of(503, "server_error", null, NODE_LEFT, "Node '" + nodeName
        + "' left the cluster while it served this request")));
    }
    Set<ChatRelay> orphans = servedFor.remove(nodeId);
    if (orphans != null) {
      LOG.warning(() -> "Stopping " + orphans.size() + " requests that came through node '" + nodeName + "'");
      new HashSet<>(orphans).forEach(r -> r.abort(LlmErrors.of(503, "server_error", null, NODE_LEFT, "Node '"
        + nodeName + "', which this request came through, left the cluster")));
    }
  }
}
