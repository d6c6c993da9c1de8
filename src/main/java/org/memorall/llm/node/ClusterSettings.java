package org.memorall.llm.node;

import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.json.JsonObject;

import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How a node joins a cluster (README "Clustering"): the {@code cluster} section of the configuration, overridden
 * by environment variables or system properties of the names below. The Hazelcast settings come from
 * {@code conf/cluster.xml} (or {@code LLM_CLUSTER_CONFIG}); without that file, from the same defaults built here.
 */
public final class ClusterSettings {

  public static final String ENABLED = "LLM_CLUSTER";
  public static final String CONFIG = "LLM_CLUSTER_CONFIG";
  public static final String NAME = "LLM_CLUSTER_NAME";
  public static final String MEMBERS = "LLM_CLUSTER_MEMBERS";
  public static final String INTERFACE = "LLM_CLUSTER_INTERFACE";
  public static final String PORT = "LLM_CLUSTER_PORT";
  public static final String NODE_NAME = "LLM_NODE_NAME";
  public static final String EVENT_BUS_HOST = "LLM_EVENTBUS_HOST";
  public static final String EVENT_BUS_PORT = "LLM_EVENTBUS_PORT";
  /** Every variable read here, for {@link NodeConfig#load}. */
  static final List<String> KEYS = List.of(ENABLED, CONFIG, NAME, MEMBERS, INTERFACE, PORT, NODE_NAME,
    EVENT_BUS_HOST, EVENT_BUS_PORT);

  private final JsonObject json;
  private final JsonObject section;

  ClusterSettings(JsonObject json) {
    this.json = json;
    this.section = json.getJsonObject("cluster", new JsonObject());
  }

  /** {@code LLM_CLUSTER=true} or {@code cluster.enabled}; {@code ./run.sh --cluster} sets it too. */
  public boolean enabled() {
    return Boolean.parseBoolean(value(ENABLED, "enabled", "false"));
  }

  /** This node's name in the cluster (LLM config key {@code node} names it); null: derived from its id. */
  public String nodeName() {
    return value(NODE_NAME, "nodeName", null);
  }

  /** The event bus binds here: the cluster interface, else loopback. */
  public String eventBusHost() {
    return value(EVENT_BUS_HOST, "eventBusHost", value(INTERFACE, "interface", "127.0.0.1"));
  }

  /** 0: any free port. Throws IllegalArgumentException naming the setting when it is not a port. */
  public int eventBusPort() {
    return port(EVENT_BUS_PORT, "eventBusPort", "0");
  }

  /** The Hazelcast configuration: the XML file (or the built-in defaults), then the overrides. */
  public Config hazelcast() throws FileNotFoundException {
    Path file = Paths.get(value(CONFIG, "configFile", "conf/cluster.xml"));
    Config config = Files.isRegularFile(file) ? new FileSystemXmlConfig(file.toFile()) : defaults();
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", "jdk");
    String name = value(NAME, "name", null);
    if (name != null) {
      config.setClusterName(name);
    }
    NetworkConfig network = config.getNetworkConfig();
    if (value(PORT, "port", null) != null) {
      network.setPort(port(PORT, "port", null));
    }
    String members = value(MEMBERS, "members", null);
    if (members != null) {
      JoinConfig join = network.getJoin();
      join.getMulticastConfig().setEnabled(false);
      join.getTcpIpConfig().setEnabled(true).setMembers(Arrays.stream(members.split(","))
        .map(String::trim).filter(m -> !m.isEmpty()).collect(Collectors.toList()));
    }
    String networkInterface = value(INTERFACE, "interface", null);
    if (networkInterface != null) {
      network.getInterfaces().setEnabled(true).setInterfaces(List.of(networkInterface));
    }
    return config;
  }

  /** What conf/cluster.xml says, for a node started without it. */
  private static Config defaults() {
    Config config = new Config().setClusterName("llm-runtime");
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
    config.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    config.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
    config.setProperty("hazelcast.socket.bind.any", "false");
    NetworkConfig network = config.getNetworkConfig().setPort(5701).setPortAutoIncrement(true).setPortCount(20);
    network.getJoin().getMulticastConfig().setEnabled(false);
    network.getJoin().getTcpIpConfig().setEnabled(true).setMembers(List.of("127.0.0.1"));
    network.getInterfaces().setEnabled(true).setInterfaces(List.of("127.0.0.1"));
    config.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
      .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    return config;
  }

  private int port(String env, String key, String fallback) {
    String text = value(env, key, fallback);
    try {
      int port = Integer.parseInt(text.trim());
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(env + " (cluster." + key + ") must be a port number, 0-65535, not '" + text
      + "'");
  }

  private String value(String env, String key, String fallback) {
    Object v = json.getValue(env, section.getValue(key));
    return v == null ? fallback : v.toString();
  }
}
