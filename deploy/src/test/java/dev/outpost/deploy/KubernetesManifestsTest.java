package dev.outpost.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.config.ConfigLoader;
import dev.outpost.config.EdgeConfig;
import dev.outpost.config.EdgeTargetConfig;
import dev.outpost.config.PurgeApiConfig;
import dev.outpost.deploy.Dockerfiles.Described;
import dev.outpost.deploy.Kustomize.Rendered;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/k8s: every overlay (one per region) and the purge-api kustomization rendered by
 * {@code kubectl kustomize}, read into typed fabric8 model objects, and checked against the service
 * configs embedded in their ConfigMaps (parsed with {@link ConfigLoader} under each container's
 * environment) and against the images (deploy/Dockerfile): names, ports, probes, volumes, resources,
 * disruption budgets, spread, the NetworkPolicy on admin ports, and purge-api's list of every pod.
 */
class KubernetesManifestsTest {

    private static final Path K8S = Deploy.DIR.resolve("k8s");
    private static final List<String> REGIONS = List.of("us", "eu", "ap");
    private static final String CONTROL = "outpost-control";
    private static final long NETWORK_BUFFERS = 64L << 20;

    private static final Map<String, Rendered> regions = new LinkedHashMap<>();
    private static Rendered control;
    private static Described dockerfile;

    @TempDir
    Path dataDir;

    @BeforeAll
    static void render() {
        for (String region : REGIONS) {
            regions.put(region, Kustomize.render(K8S.resolve("overlays/" + region)));
        }
        control = Kustomize.render(K8S.resolve("purge-api"));
        dockerfile = Dockerfiles.deployDockerfile();
    }

    @Test
    void eachRegionIsItsOwnNamespaceWithAShieldAndEdges() {
        regions.forEach((region, rendered) -> {
            String namespace = "outpost-" + region;
            assertEquals(namespace, rendered.all(Namespace.class).get(0).getMetadata().getName());
            for (HasMetadata o : rendered.objects()) {
                if (!(o instanceof Namespace)) {
                    assertEquals(namespace, o.getMetadata().getNamespace(), o.getKind() + " " + o.getMetadata().getName());
                }
            }
            assertEquals(Set.of("edge", "shield"), rendered.all(StatefulSet.class).stream()
                    .map(s -> s.getMetadata().getName()).collect(Collectors.toSet()));
        });
        assertEquals(CONTROL, control.all(Namespace.class).get(0).getMetadata().getName());
    }

    @Test
    void nodesAgreeWithTheirConfigsOnPortsProbesVolumesAndRegion() {
        regions.forEach((region, rendered) -> {
            for (StatefulSet set : rendered.all(StatefulSet.class)) {
                String what = region + "/" + set.getMetadata().getName();
                Container c = onlyContainer(set);
                EdgeConfig config = edgeConfig(rendered, set, 0);
                assertEquals(set.getMetadata().getName() + "-0." + region, config.node().id(), what);
                assertEquals(region, config.node().region(), what);
                assertEquals(List.of(region), nodeAffinityRegions(set), what + " runs on the region's nodes");

                assertEquals(config.server().port(), containerPort(c, "http"), what);
                assertEquals(config.admin().port(), containerPort(c, "admin"), what);
                assertTrue(dockerfile.exposed("edge-node").containsAll(List.of(config.server().port(),
                        config.admin().port())), what + " uses the image's ports");
                assertEquals("0.0.0.0", config.admin().host(), what + ": the kubelet and purge-api reach the admin port");
                assertHttpProbe(c.getReadinessProbe(), "/readyz", "admin", what);
                assertHttpProbe(c.getLivenessProbe(), "/healthz", "admin", what);
                assertHttpProbe(c.getStartupProbe(), "/healthz", "admin", what);

                assertDataVolume(set, c, what);
                Deploy.assertInside(dataDir, config.cache().disk().orElseThrow().path(), what + " cache.disk.path");
                long pvc = bytes(claim(set).getSpec().getResources().getRequests().get("storage"));
                var disk = config.cache().disk().get();
                assertTrue(disk.maxSize() + disk.minFreeOn(pvc) <= pvc,
                        what + ": cache.disk.max-size + min-free fit its " + pvc + "-byte volume");
                assertMemoryFits(c, config.cache().memory().maxSize(), what);
                assertBodyFilesFit(set, c, config.cache().memory(), what);

                long preStop = c.getLifecycle().getPreStop().getExec().getCommand().stream()
                        .filter(s -> s.matches("\\d+")).mapToLong(Long::parseLong).sum();
                assertTrue(set.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds()
                        > config.server().shutdownTimeout().toSeconds() + preStop, what + ": the drain fits the grace period");
                assertRunsAsTheImageUser(set.getSpec().getTemplate().getSpec(), what);
            }
        });
    }

    @Test
    void edgesUseTheirRegionsShieldAndTheShieldTheOrigin() {
        regions.forEach((region, rendered) -> {
            EdgeConfig edge = edgeConfig(rendered, rendered.named(StatefulSet.class, "edge"), 0);
            EdgeConfig shield = edgeConfig(rendered, rendered.named(StatefulSet.class, "shield"), 1);
            assertTrue(edge.server().outermost(), region + ": edges answer clients");
            assertFalse(shield.server().outermost(), region + ": the shield passes CDN-only fields on");
            assertShieldPodsAreTheEdgesOrigin(region, rendered, edge, shield);
            assertTrue(rendered.all(Service.class).stream().noneMatch(s -> s.getMetadata().getName()
                    .equals(shield.origins().get(0).url().getHost())), region + ": the shield's origin is outside the cluster");

            Service entry = rendered.named(Service.class, "edge");
            assertEquals("LoadBalancer", entry.getSpec().getType());
            assertEquals(edge.server().port(), portBehind(entry, 80, rendered.named(StatefulSet.class, "edge")));

            for (EdgeConfig node : List.of(edge, shield)) {
                URI api = node.purge().apiUrl().orElseThrow();
                assertEquals("purge-api." + CONTROL + ".svc.cluster.local", api.getHost());
                StatefulSet purgeApi = control.named(StatefulSet.class, "purge-api");
                assertEquals(purgeApiConfig().server().port(),
                        portBehind(control.named(Service.class, "purge-api"), api.getPort(), purgeApi));
                assertTrue(purgeApiConfig().auth().find(node.purge().apiToken()).isPresent(),
                        region + ": purge.api-token is one of purge-api's auth.tokens (the catch-up feed)");
            }
        });
    }

    /**
     * The edges' one origin route lists every shield pod, exactly, by its stable DNS name under the
     * shield StatefulSet's headless Service, at the port that leads to the shield's traffic port: the
     * edges then split the objects over the pods by key (rendezvous hashing) and fail over between them.
     */
    private static void assertShieldPodsAreTheEdgesOrigin(String region, Rendered rendered, EdgeConfig edge,
            EdgeConfig shield) {
        StatefulSet shields = rendered.named(StatefulSet.class, "shield");
        Service headless = rendered.named(Service.class, shields.getSpec().getServiceName());
        assertEquals("None", headless.getSpec().getClusterIP(), region + ": per-pod DNS names need a headless Service");
        assertTrue(selects(headless.getSpec().getSelector(), podLabels(shields)), region);
        assertEquals(1, edge.origins().size(), region);
        assertTrue(edge.origins().get(0).isDefaultRoute(), region);
        List<URI> urls = edge.origins().get(0).urls();
        assertEquals(shields.getSpec().getReplicas(), urls.size(),
                region + ": the edges list one URL per shield replica (change both together)");
        for (int i = 0; i < urls.size(); i++) {
            URI url = urls.get(i);
            assertEquals("http", url.getScheme(), region);
            assertEquals(shields.getMetadata().getName() + "-" + i + "." + headless.getMetadata().getName(), url.getHost(),
                    region + ": shield pod " + i + " by its name in the region's namespace");
            assertEquals(shield.server().port(), portBehind(headless, url.getPort(), shields),
                    region + ": the edges' origin is the shields' traffic port");
        }
        assertTrue(rendered.all(Service.class).stream().noneMatch(s -> "shield".equals(s.getMetadata().getName())),
                region + ": no load-balanced shield Service (it would undo the per-key choice)");
    }

    @Test
    void everyTierHasADisruptionBudgetAndSpreadsOverZonesAndHosts() {
        regions.forEach((region, rendered) -> {
            for (StatefulSet set : rendered.all(StatefulSet.class)) {
                String what = region + "/" + set.getMetadata().getName();
                Map<String, String> labels = podLabels(set);
                List<PodDisruptionBudget> budgets = rendered.all(PodDisruptionBudget.class).stream()
                        .filter(b -> selects(b.getSpec().getSelector(), labels)).toList();
                assertEquals(1, budgets.size(), what + " has one PodDisruptionBudget");
                assertEquals(new IntOrString(1), budgets.get(0).getSpec().getMaxUnavailable(), what);
                assertTrue(set.getSpec().getReplicas() >= 2, what + ": a budget needs more than one pod");

                List<TopologySpreadConstraint> spread = set.getSpec().getTemplate().getSpec().getTopologySpreadConstraints();
                assertEquals(Set.of("topology.kubernetes.io/zone", "kubernetes.io/hostname"),
                        spread.stream().map(TopologySpreadConstraint::getTopologyKey).collect(Collectors.toSet()), what);
                spread.forEach(t -> assertTrue(selects(t.getLabelSelector(), labels), what + " spreads its own pods"));

                Service pods = rendered.named(Service.class, set.getSpec().getServiceName());
                assertEquals("None", pods.getSpec().getClusterIP(), what + ": headless, for per-pod DNS");
                assertTrue(pods.getSpec().getPublishNotReadyAddresses(), what + ": purge-api reaches pods still catching up");
                assertTrue(selects(pods.getSpec().getSelector(), labels), what);
            }
        });
    }

    @Test
    void onlyPurgeApiReachesTheAdminPorts() {
        Map<String, String> purgeApiPods = podLabels(control.named(StatefulSet.class, "purge-api"));
        regions.forEach((region, rendered) -> {
            for (StatefulSet set : rendered.all(StatefulSet.class)) {
                String what = region + "/" + set.getMetadata().getName();
                EdgeConfig config = edgeConfig(rendered, set, 0);
                List<NetworkPolicy> policies = rendered.all(NetworkPolicy.class).stream()
                        .filter(p -> selects(p.getSpec().getPodSelector(), podLabels(set))).toList();
                assertEquals(1, policies.size(), what + " has one NetworkPolicy");
                NetworkPolicy policy = policies.get(0);
                assertEquals(List.of("Ingress"), policy.getSpec().getPolicyTypes());
                boolean adminAllowed = false;
                boolean trafficAllowed = false;
                for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
                    Set<Integer> ports = rule.getPorts().stream().map(p -> p.getPort().getIntVal()).collect(Collectors.toSet());
                    assertFalse(ports.isEmpty(), what + ": every rule names its ports");
                    if (ports.contains(config.admin().port())) {
                        assertEquals(Set.of(config.admin().port()), ports, what);
                        assertEquals(1, rule.getFrom().size(), what);
                        NetworkPolicyPeer peer = rule.getFrom().get(0);
                        assertEquals(Map.of("kubernetes.io/metadata.name", CONTROL),
                                peer.getNamespaceSelector().getMatchLabels(), what);
                        assertTrue(selects(peer.getPodSelector(), purgeApiPods), what + ": the peer is purge-api's pods");
                        assertFalse(selects(peer.getPodSelector(), podLabels(rendered.named(StatefulSet.class, "edge"))));
                        adminAllowed = true;
                    }
                    trafficAllowed |= ports.contains(config.server().port());
                }
                assertTrue(adminAllowed && trafficAllowed, what);
            }
        });
    }

    @Test
    void purgeApiKeepsItsLogOnItsVolumeAndListsEveryPodOfEveryRegion() {
        StatefulSet set = control.named(StatefulSet.class, "purge-api");
        Container c = onlyContainer(set);
        PurgeApiConfig config = purgeApiConfig();
        assertEquals(1, set.getSpec().getReplicas(), "one writer of the purge log");
        assertEquals(config.server().port(), containerPort(c, "http"));
        assertEquals(dockerfile.exposed("purge-api"), List.of(config.server().port()));
        assertHttpProbe(c.getLivenessProbe(), "/healthz", "http", "purge-api");
        assertHttpProbe(c.getReadinessProbe(), "/readyz", "http", "purge-api");
        assertDataVolume(set, c, "purge-api");
        Deploy.assertInside(dataDir, config.log().path(), "log.path");
        assertRunsAsTheImageUser(set.getSpec().getTemplate().getSpec(), "purge-api");

        Map<String, EdgeTargetConfig> listed = config.edges().stream()
                .collect(Collectors.toMap(EdgeTargetConfig::id, t -> t));
        Set<String> pods = new HashSet<>();
        regions.forEach((region, rendered) -> {
            for (StatefulSet node : rendered.all(StatefulSet.class)) {
                for (int i = 0; i < node.getSpec().getReplicas(); i++) {
                    EdgeConfig edge = edgeConfig(rendered, node, i);
                    String id = edge.node().id();
                    pods.add(id);
                    EdgeTargetConfig target = listed.get(id);
                    assertNotNull(target, "purge-api does not list " + id);
                    assertEquals(region, target.region(), id);
                    assertEquals(node.getMetadata().getName() + "-" + i + "." + node.getSpec().getServiceName() + "."
                            + node.getMetadata().getNamespace() + ".svc.cluster.local", target.adminUrl().getHost(), id);
                    assertEquals(edge.admin().port(), target.adminUrl().getPort(), id);
                    assertEquals(edge.admin().token(), target.token(), id + ": purge-api's token is the node's admin.token");
                }
            }
        });
        assertEquals(pods, listed.keySet(), "purge-api lists exactly the pods the overlays run");
    }

    // ---------------------------------------------------------------- configs

    /** The config of pod {@code ordinal} of a node StatefulSet: its ConfigMap file under its environment. */
    private EdgeConfig edgeConfig(Rendered rendered, StatefulSet set, int ordinal) {
        Container c = onlyContainer(set);
        String pod = set.getMetadata().getName() + "-" + ordinal;
        return ConfigLoader.parseEdge(configFile(rendered, set, c), Deploy.withDataDir(rendered.environment(c, pod), dataDir));
    }

    private PurgeApiConfig purgeApiConfig() {
        StatefulSet set = control.named(StatefulSet.class, "purge-api");
        Container c = onlyContainer(set);
        return ConfigLoader.parsePurgeApi(configFile(control, set, c),
                Deploy.withDataDir(control.environment(c, "purge-api-0"), dataDir));
    }

    /** The file the container's {@code --config} names, out of the ConfigMap mounted there. */
    private static String configFile(Rendered rendered, StatefulSet set, Container c) {
        List<String> args = c.getArgs();
        Path file = Path.of(args.get(args.indexOf("--config") + 1));
        VolumeMount mount = c.getVolumeMounts().stream().filter(m -> file.getParent().equals(Path.of(m.getMountPath())))
                .findFirst().orElseThrow(() -> new AssertionError(set.getMetadata().getName() + ": nothing mounted at " + file.getParent()));
        assertTrue(mount.getReadOnly(), "configs are mounted read-only");
        Volume volume = podVolume(set, mount.getName());
        ConfigMap map = rendered.named(ConfigMap.class, volume.getConfigMap().getName());
        String yaml = map.getData().get(file.getFileName().toString());
        assertNotNull(yaml, map.getMetadata().getName() + " has no " + file.getFileName());
        return yaml;
    }

    // ---------------------------------------------------------------- pods

    private static Container onlyContainer(StatefulSet set) {
        List<Container> containers = set.getSpec().getTemplate().getSpec().getContainers();
        assertEquals(1, containers.size(), set.getMetadata().getName());
        return containers.get(0);
    }

    private static Map<String, String> podLabels(StatefulSet set) {
        Map<String, String> labels = set.getSpec().getTemplate().getMetadata().getLabels();
        assertTrue(selects(set.getSpec().getSelector(), labels), set.getMetadata().getName() + " selects its pods");
        return labels;
    }

    private static boolean selects(LabelSelector selector, Map<String, String> labels) {
        assertTrue(selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty(), "matchLabels only");
        return selects(selector.getMatchLabels(), labels);
    }

    private static boolean selects(Map<String, String> matchLabels, Map<String, String> labels) {
        return matchLabels != null && !matchLabels.isEmpty() && labels.entrySet().containsAll(matchLabels.entrySet());
    }

    private static int containerPort(Container c, String name) {
        return c.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst().map(ContainerPort::getContainerPort)
                .orElseThrow(() -> new AssertionError(c.getName() + " has no port " + name));
    }

    /** The container port a Service port leads to (by name or number) on the pods of {@code set}. */
    private static int portBehind(Service service, int port, StatefulSet set) {
        ServicePort sp = service.getSpec().getPorts().stream().filter(p -> p.getPort() == port).findFirst()
                .orElseThrow(() -> new AssertionError("service " + service.getMetadata().getName() + " has no port " + port));
        IntOrString target = sp.getTargetPort();
        return target.getStrVal() != null ? containerPort(onlyContainer(set), target.getStrVal()) : target.getIntVal();
    }

    private static void assertHttpProbe(Probe probe, String path, String port, String what) {
        assertNotNull(probe, what + " probe " + path);
        assertEquals(path, probe.getHttpGet().getPath(), what);
        assertEquals(port, probe.getHttpGet().getPort().getStrVal(), what);
    }

    private static Volume podVolume(StatefulSet set, String name) {
        return set.getSpec().getTemplate().getSpec().getVolumes().stream().filter(v -> v.getName().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError(set.getMetadata().getName() + ": no volume " + name));
    }

    private static PersistentVolumeClaim claim(StatefulSet set) {
        List<PersistentVolumeClaim> claims = set.getSpec().getVolumeClaimTemplates();
        assertEquals(1, claims.size(), set.getMetadata().getName());
        return claims.get(0);
    }

    /** The claim is mounted at the image's VOLUME, which is OUTPOST_DATA_DIR, and is ReadWriteOnce. */
    private static void assertDataVolume(StatefulSet set, Container c, String what) {
        PersistentVolumeClaim claim = claim(set);
        assertEquals(List.of("ReadWriteOnce"), claim.getSpec().getAccessModes(), what);
        String target = set.getMetadata().getName().equals("purge-api") ? "purge-api" : "edge-node";
        String volume = dockerfile.last(target, "VOLUME").json().get(0);
        VolumeMount mount = c.getVolumeMounts().stream().filter(m -> m.getName().equals(claim.getMetadata().getName()))
                .findFirst().orElseThrow(() -> new AssertionError(what + " does not mount its claim"));
        assertEquals(volume, mount.getMountPath(), what);
        assertEquals(volume, c.getEnv().stream().filter(e -> e.getName().equals("OUTPOST_DATA_DIR")).findFirst()
                .orElseThrow().getValue(), what);
    }

    /**
     * Memory requested equals its limit, and the memory tier fits the JVM's direct memory, which is as
     * large as the heap: the image's -XX:MaxRAMPercentage of the limit.
     */
    private static void assertMemoryFits(Container c, long memoryTier, String what) {
        Quantity request = c.getResources().getRequests().get("memory");
        Quantity limit = c.getResources().getLimits().get("memory");
        assertEquals(bytes(limit), bytes(request), what + ": memory request = limit (no overcommit of the cache)");
        assertNotNull(c.getResources().getRequests().get("cpu"), what);
        int percent = DockerfileLintTest.maxRamPercentage(dockerfile.last("edge-node", "ENTRYPOINT").json());
        long direct = bytes(limit) * percent / 100;
        assertTrue(memoryTier + NETWORK_BUFFERS <= direct,
                what + ": cache.memory.max-size " + memoryTier + " does not fit direct memory " + direct);
    }

    /**
     * The memory tier's file bodies (cache.memory.file-dir, /dev/shm by default) go to a memory-backed
     * volume with room for the whole tier: a container's own /dev/shm is 64 MiB.
     */
    private static void assertBodyFilesFit(StatefulSet set, Container c, dev.outpost.config.MemoryTierConfig memory,
            String what) {
        String dir = memory.fileDir().orElse(dev.outpost.config.MemoryTierConfig.DEFAULT_FILE_DIR).toString();
        var mount = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(dir)).findFirst();
        assertTrue(mount.isPresent(), what + ": a volume at the memory tier's file-dir " + dir);
        var volume = set.getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals(mount.get().getName())).findFirst().orElseThrow();
        assertNotNull(volume.getEmptyDir(), what + ": " + dir + " is an emptyDir");
        assertEquals("Memory", volume.getEmptyDir().getMedium(), what + ": " + dir + " is memory-backed (tmpfs)");
        assertTrue(bytes(volume.getEmptyDir().getSizeLimit()) > memory.maxSize(),
                what + ": " + dir + " has room for cache.memory.max-size and evicted bodies still being sent");
    }

    private static void assertRunsAsTheImageUser(PodSpec pod, String what) {
        String[] user = dockerfile.last("edge-node", "USER").args().get(0).split(":");
        assertTrue(pod.getSecurityContext().getRunAsNonRoot(), what);
        assertEquals(Long.parseLong(user[0]), pod.getSecurityContext().getRunAsUser(), what);
        assertEquals(Long.parseLong(user[1]), pod.getSecurityContext().getFsGroup(), what + ": the volume is writable");
    }

    private static List<String> nodeAffinityRegions(StatefulSet set) {
        var terms = set.getSpec().getTemplate().getSpec().getAffinity().getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms();
        assertEquals(1, terms.size());
        var expression = terms.get(0).getMatchExpressions().get(0);
        assertEquals("topology.kubernetes.io/region", expression.getKey());
        assertEquals("In", expression.getOperator());
        return expression.getValues();
    }

    private static long bytes(Quantity q) {
        assertNotNull(q);
        BigDecimal b = Quantity.getAmountInBytes(q);
        return b.longValueExact();
    }
}
