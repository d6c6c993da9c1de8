package org.memorall.llm.node;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the cluster settings become Hazelcast's: conf/cluster.xml or the same defaults, then the overrides. */
class ClusterSettingsTest {

  @Test
  void theShippedFileJoinsOverTcpOnLoopbackWithoutPhoningHome() throws Exception {
    ClusterSettings settings = new NodeConfig(new JsonObject()).cluster();
    assertFalse(settings.enabled());
    assertNull(settings.nodeName());
    assertEquals("127.0.0.1", settings.eventBusHost());
    assertEquals(0, settings.eventBusPort());
    for (Config config : List.of(settings.hazelcast(), new NodeConfig(new JsonObject()
      .put(ClusterSettings.CONFIG, "no/such/file.xml")).cluster().hazelcast())) {
      JoinConfig join = config.getNetworkConfig().getJoin();
      assertFalse(join.getMulticastConfig().isEnabled());
      assertTrue(join.getTcpIpConfig().isEnabled());
      assertEquals(List.of("127.0.0.1"), join.getTcpIpConfig().getMembers());
      assertEquals(List.of("127.0.0.1"), List.copyOf(config.getNetworkConfig().getInterfaces().getInterfaces()));
      assertEquals("false", config.getProperty("hazelcast.phone.home.enabled"));
      assertEquals("5", config.getProperty("hazelcast.max.no.heartbeat.seconds"));
      assertEquals("false", config.getProperty("hazelcast.socket.bind.any"), "binds only the interface");
      assertEquals("llm-runtime", config.getClusterName());
    }
  }

  @Test
  void environmentVariablesOverrideTheFileForSeveralHosts() throws Exception {
    ClusterSettings settings = new NodeConfig(new JsonObject()
      .put(ClusterSettings.ENABLED, "true")
      .put(ClusterSettings.NAME, "prod")
      .put(ClusterSettings.MEMBERS, "10.0.0.1, 10.0.0.2:5801")
      .put(ClusterSettings.INTERFACE, "10.0.0.1")
      .put(ClusterSettings.PORT, 5801) // the env store turns numbers into numbers
      .put(ClusterSettings.NODE_NAME, "gpu1")).cluster();
    assertTrue(settings.enabled());
    assertEquals("gpu1", settings.nodeName());
    assertEquals("10.0.0.1", settings.eventBusHost(), "the event bus follows the cluster interface");
    Config config = settings.hazelcast();
    assertEquals("prod", config.getClusterName());
    assertEquals(5801, config.getNetworkConfig().getPort());
    assertEquals(List.of("10.0.0.1", "10.0.0.2:5801"), config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers());
    assertEquals(List.of("10.0.0.1"), List.copyOf(config.getNetworkConfig().getInterfaces().getInterfaces()));
  }

  @Test
  void aBadPortIsAClearErrorNamingTheSetting() {
    IllegalArgumentException eventBus = assertThrows(IllegalArgumentException.class, () -> new NodeConfig(
      new JsonObject().put(ClusterSettings.EVENT_BUS_PORT, "15x01")).cluster().eventBusPort());
    assertEquals("LLM_EVENTBUS_PORT (cluster.eventBusPort) must be a port number, 0-65535, not '15x01'",
      eventBus.getMessage());
    IllegalArgumentException hazelcast = assertThrows(IllegalArgumentException.class, () -> new NodeConfig(
      new JsonObject().put(ClusterSettings.PORT, 70000)).cluster().hazelcast());
    assertTrue(hazelcast.getMessage().startsWith("LLM_CLUSTER_PORT (cluster.port) must be a port number"),
      hazelcast.getMessage());
  }

  @Test
  void theConfigFileSectionWorksToo() {
    ClusterSettings settings = new NodeConfig(new JsonObject().put("cluster", new JsonObject()
      .put("enabled", true).put("nodeName", "a").put("eventBusHost", "192.168.1.5").put("eventBusPort", 15701)))
      .cluster();
    assertTrue(settings.enabled());
    assertEquals("a", settings.nodeName());
    assertEquals("192.168.1.5", settings.eventBusHost());
    assertEquals(15701, settings.eventBusPort());
  }
}
