package org.memorall.llm.registry;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.memorall.llm.api.Addresses;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * What this node knows of the other nodes of the cluster: every node publishes the LLMs it serves and their load
 * (slots, in flight, queued) on {@link Addresses#CLUSTER_LOAD} several times a second; this keeps the last report
 * of each. A node is gone when it stops reporting for {@link #STALE_MS} or when Hazelcast drops it (a clean leave,
 * or its failure detection of conf/cluster.xml); its replicas then stop being chosen, and the listener given to
 * {@link #start} ends the requests routed to it. Used on the registry's context only.
 */
final class ClusterView {

  private static final Logger LOG = Logger.getLogger(ClusterView.class.getName());
  static final long PUBLISH_MS = 200;
  /** How long a request sent to another node counts there before its reports show it: a report and a hop. */
  static final long SENT_MS = 2 * PUBLISH_MS;
  /**
   * A node silent for this long counts as gone even before Hazelcast drops it (which, for a node killed without a
   * goodbye, takes 5-10 s more). Fifteen missed reports: long enough for a GC pause or a busy machine, short enough
   * that the requests it served fail over within seconds.
   */
  static final long STALE_MS = 3000;

  /** One LLM as served by one node, as last reported. */
  record Replica(String nodeId, String nodeName, String llm, String type, JsonObject policy, int slots,
                 int inFlight, int queued) {
    /** Slots free minus requests waiting: the most free wins. */
    int free() {
      return slots - inFlight - queued;
    }
  }

  private static final class NodeState {
    final String name;
    final long seenNanos;
    final Map<String, JsonObject> llms;

    NodeState(String name, long seenNanos, Map<String, JsonObject> llms) {
      this.name = name;
      this.seenNanos = seenNanos;
      this.llms = llms;
    }
  }

  private final Vertx vertx;
  final String nodeId;
  final String nodeName;
  private final Map<String, NodeState> nodes = new HashMap<>();
  /** When requests were sent to other nodes lately, by node id + "/" + LLM. */
  private final Map<String, ArrayDeque<Long>> sent = new HashMap<>();
  private MessageConsumer<JsonObject> consumer;
  private long timer = -1;
  private UUID membership;

  ClusterView(Vertx vertx, String configuredName) {
    this.vertx = vertx;
    this.nodeId = ((VertxInternal) vertx).clusterManager().getNodeId();
    this.nodeName = configuredName != null ? configuredName : "node-" + nodeId.substring(0, 8);
  }

  /** Starts reporting {@code local} (name → load) and listening; {@code left} gets the id of each node gone. */
  void start(Supplier<JsonObject> local, Gone left) {
    Context context = vertx.getOrCreateContext();
    consumer = vertx.eventBus().consumer(Addresses.CLUSTER_LOAD, m -> {
      JsonObject report = m.body();
      String from = report.getString("nodeId");
      if (!nodeId.equals(from)) {
        Map<String, JsonObject> llms = new HashMap<>();
        report.getJsonObject("llms").forEach(e -> llms.put(e.getKey(), (JsonObject) e.getValue()));
        NodeState before = nodes.put(from, new NodeState(report.getString("nodeName"), System.nanoTime(), llms));
        if (before == null) {
          LOG.info(() -> "Node '" + report.getString("nodeName") + "' (" + from + ") serves " + llms.keySet());
        }
      }
    });
    timer = vertx.setPeriodic(PUBLISH_MS, id -> {
      publish(local.get());
      long now = System.nanoTime();
      new ArrayList<>(nodes.keySet()).forEach(n -> {
        if (now - nodes.get(n).seenNanos > STALE_MS * 1_000_000L) {
          gone(n, "silent for " + STALE_MS + " ms", left);
        }
      });
    });
    HazelcastClusterManager manager = (HazelcastClusterManager) ((VertxInternal) vertx).clusterManager();
    membership = manager.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
      public void memberAdded(MembershipEvent event) {
      }

      public void memberRemoved(MembershipEvent event) {
        String id = event.getMember().getUuid().toString();
        context.runOnContext(v -> gone(id, "left the cluster", left));
      }
    });
  }

  void publish(JsonObject llms) {
    vertx.eventBus().publish(Addresses.CLUSTER_LOAD,
      new JsonObject().put("nodeId", nodeId).put("nodeName", nodeName).put("llms", llms));
  }

  private void gone(String id, String why, Gone left) {
    NodeState state = nodes.remove(id);
    sent.keySet().removeIf(k -> k.startsWith(id + "/"));
    if (state != null) {
      LOG.warning(() -> "Node '" + state.name + "' (" + id + ") " + why + "; its LLMs " + state.llms.keySet()
        + " are withdrawn");
    }
    left.gone(id, state == null ? id : state.name, state == null ? List.of() : state.llms.keySet());
  }

  /** Told when a node is gone, with the LLMs it served. */
  @FunctionalInterface
  interface Gone {
    void gone(String nodeId, String nodeName, Collection<String> llms);
  }

  void stop() {
    vertx.cancelTimer(timer);
    if (consumer != null) {
      consumer.unregister();
    }
    if (membership != null) {
      try {
        ((HazelcastClusterManager) ((VertxInternal) vertx).clusterManager()).getHazelcastInstance().getCluster()
          .removeMembershipListener(membership);
      } catch (RuntimeException e) {
        // Hazelcast is already shutting down.
      }
    }
  }

  /** The other nodes' replicas of {@code llm}, as last reported. */
  List<Replica> replicas(String llm) {
    List<Replica> list = new ArrayList<>();
    nodes.forEach((id, state) -> {
      JsonObject load = state.llms.get(llm);
      if (load != null) {
        list.add(new Replica(id, state.name, llm, load.getString("type"), load.getJsonObject("policy"),
          load.getInteger("slots", 1), load.getInteger("inFlight", 0) + recentlySent(id, llm),
          load.getInteger("queued", 0)));
      }
    });
    return list;
  }

  /** Every LLM name the other nodes serve. */
  List<String> names() {
    List<String> names = new ArrayList<>();
    nodes.values().forEach(s -> s.llms.keySet().stream().filter(n -> !names.contains(n)).forEach(names::add));
    return names;
  }

  /**
   * A request was just sent to {@code nodeId}'s {@code llm}: it counts as in flight there for {@link #SENT_MS},
   * until that node's reports include it, so that a burst of requests spreads instead of following one report.
   */
  void sent(String nodeId, String llm) {
    long now = System.nanoTime();
    ArrayDeque<Long> times = sent.computeIfAbsent(nodeId + "/" + llm, k -> new ArrayDeque<>());
    times.add(now);
  }

  private int recentlySent(String nodeId, String llm) {
    ArrayDeque<Long> times = sent.get(nodeId + "/" + llm);
    if (times == null) {
      return 0;
    }
    long oldest = System.nanoTime() - SENT_MS * 1_000_000L;
    while (!times.isEmpty() && times.peek() < oldest) {
      times.poll();
    }
    return times.size();
  }

  /** The id of the node named {@code name}, or null. */
  String nodeIdOf(String name) {
    if (nodeName.equals(name)) {
      return nodeId;
    }
    return nodes.entrySet().stream().filter(e -> e.getValue().name.equals(name)).map(Map.Entry::getKey)
      .findFirst().orElse(null);
  }

  String nameOf(String id) {
    NodeState state = nodes.get(id);
    return id.equals(nodeId) ? nodeName : state == null ? id : state.name;
  }

  List<String> nodeNames() {
    List<String> names = new ArrayList<>();
    names.add(nodeName);
    nodes.values().forEach(s -> names.add(s.name));
    return names;
  }

  boolean isAlive(String id) {
    return nodes.containsKey(id);
  }

  /**
   * True while node {@code id} may still serve what it holds: it reports, or it is still a member of the cluster
   * (it may be starting, or stalled but not yet dropped by Hazelcast).
   */
  boolean mayServe(String id) {
    return nodes.containsKey(id) || ((VertxInternal) vertx).clusterManager().getNodes().contains(id);
  }
}
