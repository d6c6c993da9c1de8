package org.memorall.llm.registry;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import org.memorall.llm.api.ChatCompletionRequest;
import org.memorall.llm.api.ChatCompletionResponse;
import org.memorall.llm.api.EmbeddingRequest;
import org.memorall.llm.api.EmbeddingResponse;
import org.memorall.llm.api.Addresses;
import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.LlmInfo;
import org.memorall.llm.api.LlmService;
import org.memorall.llm.api.LlmServiceVertxEBProxy;
import org.memorall.llm.api.ModelInfo;
import org.memorall.llm.api.ModelList;
import org.memorall.llm.api.ServeRequest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The registry of a clustered node (README "Clustering"): one set of names across the cluster. Names are reserved
 * in a cluster-wide map ({@link #DIRECTORY}: name → type and first node), so that two nodes racing to create a
 * name end with one LLM; the providers run in each node's own {@link Registry}, and what the other nodes serve is
 * known from their reports ({@link ClusterView}). Two keys of an LLM's config are the cluster's:
 * {@code "node": "b"} creates it on node b, {@code "replica": true} adds this node as one more provider of an
 * existing LLM of the same type (the LLMs of a node's configuration are always replicas); they say where the LLM is
 * created, so its config does not keep them (its info lists its {@code nodes}). Used on the registry's context only.
 */
final class ClusteredRegistry implements LlmService {

  private static final Logger LOG = Logger.getLogger(ClusteredRegistry.class.getName());
  static final String DIRECTORY = "llm.directory";
  static final String NODE = "node";
  static final String REPLICA = "replica";
  /**
   * How long a call to another node may take: an LLM's info, a few seconds (it is read from the node's memory); the
   * other management calls, longer (unloading a model may wait for it); a create, the time of a model load. Calls
   * to a node that is gone fail before that ({@link NodeCalls}); these bound the calls to a node that is alive but
   * stuck.
   */
  static final long INFO_MS = 5_000;
  static final long MANAGEMENT_MS = 30_000;
  static final long CREATE_MS = 600_000;

  private final Vertx vertx;
  private final Registry local;
  private final ClusterView view;
  private final AsyncMap<String, JsonObject> directory;

  ClusteredRegistry(Vertx vertx, Registry local, ClusterView view, AsyncMap<String, JsonObject> directory) {
    this.vertx = vertx;
    this.local = local;
    this.view = view;
    this.directory = directory;
  }

  static Future<AsyncMap<String, JsonObject>> directory(Vertx vertx) {
    return vertx.sharedData().getClusterWideMap(DIRECTORY);
  }

  // ---- management ----

  @Override
  public Future<LlmInfo> create(String name, String type, JsonObject config) {
    JsonObject llmConfig = config == null ? new JsonObject() : config;
    Object node = llmConfig.getValue(NODE);
    Object replica = llmConfig.getValue(REPLICA, false);
    if (node != null && !(node instanceof String) || !(replica instanceof Boolean)) {
      return Future.failedFuture(LlmErrors.invalidField("config", "'" + NODE + "' must be a node name and '"
        + REPLICA + "' a boolean"));
    }
    if (node != null && !node.equals(view.nodeName)) {
      String id = view.nodeIdOf((String) node);
      if (id == null) {
        return Future.failedFuture(LlmErrors.invalidField("config", "No node named '" + node
          + "' in the cluster. Nodes: " + String.join(", ", view.nodeNames())));
      }
      return call(Addresses.nodeCluster(id), id, CREATE_MS, service -> service.create(name, type, llmConfig));
    }
    return createHere(name, type, llmConfig, (Boolean) replica);
  }

  /** The LLMs of this node's configuration: replicas of the same LLMs of other nodes. */
  Future<LlmInfo> createReplica(String name, String type, JsonObject config) {
    return createHere(name, type, config == null ? new JsonObject() : config, true);
  }

  private Future<LlmInfo> createHere(String name, String requestedType, JsonObject config, boolean replica) {
    String type;
    String canonical;
    try {
      type = local.requestedType(requestedType, config);
      canonical = local.canonicalType(type);
    } catch (RuntimeException e) {
      return Future.failedFuture(LlmErrors.from(e));
    }
    if (name == null || local.local(name) != null) {
      return local.create(name, type, config); // its own error: a bad name, or a name taken here
    }
    JsonObject record = record(canonical);
    return reserve(name, record).compose(prior -> {
      boolean sameType = prior != null && canonical.equals(prior.getString("type"));
      // The default's name reserved for this type but not created yet (no node serves it): as on one node, an
      // explicit create of that type makes it.
      boolean unusedDefault = sameType && name.equals(local.defaultName()) && !local.cluster().serves(name);
      if (prior != null && !unusedDefault && (!replica || !sameType)) {
        return Future.failedFuture(LlmErrors.conflict("LLM '" + name + "' already exists (" + prior.getString("type")
          + ", created on node '" + prior.getString("node") + "')" + (replica ? "" : "; to serve it on this node "
          + "too, create it with \"" + REPLICA + "\": true and the same type")));
      }
      return local.create(name, type, config)
        .onSuccess(info -> view.publish(local.localLoad())) // the other nodes learn of it now
        .recover(e -> (prior == null ? directory.removeIfPresent(name, record) : Future.succeededFuture(false))
          .transform(ar -> Future.failedFuture(e)))
        .compose(this::withNodes);
    });
  }

  /**
   * Reserves the default LLM's name for the type of this node's configured default, as any created name (README
   * "Clustering"), though each node still creates its replica of it on first use. A node whose configured default
   * has another type than the name's record does not create one: its requests for it go to the nodes that serve it.
   * Done at start, and again when this node creates its default (the name may have been removed meanwhile).
   */
  Future<Void> reserveDefault() {
    String name = local.defaultName();
    String type = local.defaultType();
    return reserve(name, record(type)).map(prior -> {
      boolean same = prior == null || type.equals(prior.getString("type"));
      if (!same) {
        LOG.warning(() -> "The default LLM '" + name + "' of this node is of type " + type + ", but the cluster's is "
          + prior.getString("type") + " (from node '" + prior.getString("node") + "'): this node does not create it;"
          + " its requests for it go to the nodes that serve it. Configure the same default type on every node.");
        if (local.local(name) != null) {
          local.remove(name);
        }
      }
      local.createsDefault(same, same ? this::reserveDefault : () -> { });
      return null;
    });
  }

  /** A name's directory record: its type, and this node as its creator. */
  private JsonObject record(String type) {
    return new JsonObject().put("type", type).put("node", view.nodeName).put("nodeId", view.nodeId);
  }

  /**
   * Reserves {@code name} for {@code record}; the record that holds it already, or null when reserved. A name whose
   * nodes are all gone is taken over (atomically: one of several racing creates wins), so that it can be created
   * anew.
   */
  private Future<JsonObject> reserve(String name, JsonObject record) {
    return directory.putIfAbsent(name, record).compose(prior -> prior == null || !orphaned(name, prior)
      ? Future.succeededFuture(prior)
      : directory.replaceIfPresent(name, prior, record).compose(taken -> {
        if (taken) {
          LOG.info(() -> "LLM '" + name + "' of node '" + prior.getString("node") + "' (gone) is created anew");
          return Future.succeededFuture();
        }
        return directory.get(name).compose(now -> now == null ? reserve(name, record) : Future.succeededFuture(now));
      }));
  }

  /**
   * True when no live node serves {@code name}: the node that created it is gone, and no other serves it. The
   * default LLM's name with this node's default type is never orphaned: before its first use no node serves it, yet
   * this node would create it on first use (taking it over then let another type have the name: a 201 where 409 is
   * right).
   */
  private boolean orphaned(String name, JsonObject record) {
    if (name.equals(local.defaultName()) && local.defaultType().equals(record.getString("type"))) {
      return false;
    }
    String creator = record.getString("nodeId");
    return local.local(name) == null && view.replicas(name).isEmpty()
      && (creator == null || creator.equals(view.nodeId) || !view.mayServe(creator));
  }

  @Override
  public Future<Boolean> remove(String name) {
    List<Future<Boolean>> removed = new ArrayList<>();
    removed.add(directory.remove(name).map(prior -> prior != null));
    removed.add(local.remove(name));
    view.replicas(name).forEach(r -> removed.add(onNode(r.nodeId(), MANAGEMENT_MS, s -> s.remove(name))
      .otherwise(false)));
    return Future.join(removed).map(cf -> removed.stream().anyMatch(f -> Boolean.TRUE.equals(f.result())));
  }

  @Override
  public Future<LlmInfo> get(String name) {
    if (local.local(name) != null) {
      return local.get(name).compose(this::withNodes);
    }
    List<ClusterView.Replica> replicas = view.replicas(name);
    if (!replicas.isEmpty()) {
      ClusterView.Replica replica = replicas.get(0);
      return onNode(replica.nodeId(), INFO_MS, s -> s.get(name))
        .recover(e -> Future.succeededFuture(unanswered(replica, e)))
        .compose(this::withNodes);
    }
    if (name.equals(local.defaultName())) {
      return Future.succeededFuture(); // not created yet: as on one node, it exists from its first use
    }
    return directory.get(name).map(record -> record == null ? null : new LlmInfo(new JsonObject().put("name", name)
      .put("type", record.getString("type")).put("status", "unavailable").put("nodes", new JsonArray())
      .put("error", "No node of the cluster serves it now (it was created on node '" + record.getString("node")
        + "')")));
  }

  @Override
  public Future<LlmInfo> getRequired(String name) {
    return get(name).compose(info -> info != null ? Future.succeededFuture(info)
      : getNames().compose(names -> Future.failedFuture(LlmErrors.notFound(name, names))));
  }

  @Override
  public Future<Boolean> has(String name) {
    return get(name).map(info -> info != null);
  }

  @Override
  public Future<List<String>> getNames() {
    return Future.all(local.getNames(), directory.keys()).map(cf -> {
      Set<String> names = new LinkedHashSet<>(cf.<List<String>>resultAt(0));
      names.addAll(view.names());
      names.addAll(cf.<Set<String>>resultAt(1));
      if (!local.cluster().serves(local.defaultName())) {
        names.remove(local.defaultName()); // reserved, not created yet (see get)
      }
      return new ArrayList<>(names);
    });
  }

  @Override
  public Future<LlmInfo> getInfo(String name) {
    return get(name);
  }

  @Override
  public Future<Map<String, LlmInfo>> getAllInfo() {
    return getNames().compose(names -> {
      List<Future<LlmInfo>> infos = new ArrayList<>();
      names.forEach(n -> infos.add(get(n)));
      return Future.join(infos).map(cf -> {
        Map<String, LlmInfo> map = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
          if (infos.get(i).succeeded() && infos.get(i).result() != null) {
            map.put(names.get(i), infos.get(i).result());
          }
        }
        return map;
      });
    });
  }

  /** The info of an LLM whose node did not answer in time (or left): the rest of a listing still answers. */
  private static LlmInfo unanswered(ClusterView.Replica replica, Throwable error) {
    return new LlmInfo(new JsonObject().put("name", replica.llm()).put("type", replica.type())
      .put("status", "unavailable").put("error", "Node '" + replica.nodeName() + "' did not answer: "
        + error.getMessage()));
  }

  /** {@code info} with the names of the nodes serving the LLM. */
  private Future<LlmInfo> withNodes(LlmInfo info) {
    if (info == null) {
      return Future.succeededFuture();
    }
    String name = info.getName();
    JsonArray nodes = new JsonArray();
    if (local.local(name) != null) {
      nodes.add(view.nodeName);
    }
    view.replicas(name).forEach(r -> nodes.add(r.nodeName()));
    return Future.succeededFuture(new LlmInfo(info.toJson().copy().put("nodes", nodes)));
  }

  // ---- requests: chat completions and serve streams are routed by the registry itself ----

  @Override
  public Future<ChatCompletionResponse> chatCompletions(ChatCompletionRequest request) {
    return local.chatCompletions(request);
  }

  @Override
  public Future<ChatCompletionResponse> chatCompletionsFor(String name, ChatCompletionRequest request) {
    return local.chatCompletionsFor(name, request);
  }

  @Override
  public Future<EmbeddingResponse> embeddings(EmbeddingRequest request) {
    return embeddingsFor(null, request);
  }

  /** Embeddings go to the least-busy node serving the LLM (this node on a tie); no queue, as on one node. */
  @Override
  public Future<EmbeddingResponse> embeddingsFor(String name, EmbeddingRequest request) {
    String llm = name != null ? name : request != null && request.getModel() != null ? request.getModel()
      : local.defaultName();
    ClusterView.Replica replica = local.cluster().route(llm);
    return replica == null ? local.cluster().orMissing(llm, local.embeddingsFor(llm, request))
      : onNode(replica.nodeId(), local.requestTimeoutMs(), s -> s.embeddingsFor(llm, request));
  }

  @Override
  public Future<ModelInfo> serve(String name, ServeRequest request) {
    return local.serve(name, request);
  }

  @Override
  public Future<ModelList> models(String name) {
    return onHost(name, LlmService::models);
  }

  @Override
  public Future<Void> unload(String name, String modelId) {
    return onHost(name, (service, llm) -> service.unload(llm, modelId));
  }

  @Override
  public Future<Void> delete(String name, String modelId) {
    return onHost(name, (service, llm) -> service.delete(llm, modelId));
  }

  /** Runs {@code call} on this node's registry when it serves {@code name}, else on a node that does. */
  private <T> Future<T> onHost(String name, BiFunction<LlmService, String, Future<T>> call) {
    List<ClusterView.Replica> replicas = view.replicas(name);
    if (local.local(name) != null || replicas.isEmpty()) {
      return local.cluster().orMissing(name, call.apply(local, name));
    }
    return onNode(replicas.get(0).nodeId(), MANAGEMENT_MS, s -> call.apply(s, name));
  }

  /** Calls the plain registry of node {@code nodeId}: what it serves itself. */
  private <T> Future<T> onNode(String nodeId, long timeoutMs, Function<LlmService, Future<T>> call) {
    return call(Addresses.nodeRegistry(nodeId), nodeId, timeoutMs, call);
  }

  /** Calls the registry at {@code address} of node {@code nodeId}; the call fails at once if that node goes. */
  private <T> Future<T> call(String address, String nodeId, long timeoutMs, Function<LlmService, Future<T>> call) {
    LlmService service = new LlmServiceVertxEBProxy(vertx, address, new DeliveryOptions().setSendTimeout(timeoutMs));
    return local.cluster().calls.track(nodeId, call.apply(service));
  }
}
