package org.memorall.llm.api;

/** Every event-bus address of the runtime, in one place. */
public final class Addresses {

  /** The registry service ({@link LlmService} proxy). */
  public static final String REGISTRY = "llm.registry";
  /** Streams opened through the registry (chat completions, serve progress); see {@link LlmClient}. */
  public static final String REGISTRY_STREAM = "llm.registry.stream";
  /** In a cluster: each node's report of the LLMs it serves and their load, published to all nodes. */
  public static final String CLUSTER_LOAD = "llm.cluster.load";
  private static final String PROVIDER_PREFIX = "llm.provider.";
  private static final String NODE_PREFIX = "llm.node.";

  private Addresses() {
  }

  /** The address of the provider verticle serving LLM {@code name}. */
  public static String provider(String name) {
    return PROVIDER_PREFIX + name;
  }

  /** In a cluster: node {@code nodeId}'s own registry (what it serves itself), for the other nodes' registries. */
  public static String nodeRegistry(String nodeId) {
    return NODE_PREFIX + nodeId + ".registry";
  }

  /** In a cluster: node {@code nodeId}'s cluster registry, which creates LLMs on that node. */
  public static String nodeCluster(String nodeId) {
    return NODE_PREFIX + nodeId + ".cluster";
  }

  /** In a cluster: streams another node's registry sends to node {@code nodeId}, served there. */
  public static String nodeStream(String nodeId) {
    return NODE_PREFIX + nodeId + ".stream";
  }
}
