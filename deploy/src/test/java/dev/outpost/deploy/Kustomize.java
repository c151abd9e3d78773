package dev.outpost.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A kustomization rendered by {@code kubectl kustomize} (kustomize v5 built into kubectl) and read
 * into typed fabric8 Kubernetes model objects; a kind the deployment does not use fails the test.
 */
final class Kustomize {

    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "Namespace", Namespace.class, "ConfigMap", ConfigMap.class, "Secret", Secret.class,
            "Service", Service.class, "StatefulSet", StatefulSet.class,
            "PodDisruptionBudget", PodDisruptionBudget.class, "NetworkPolicy", NetworkPolicy.class);
    private static final YAMLMapper YAML = new YAMLMapper();

    /** The rendered objects of one kustomization. */
    record Rendered(Path dir, List<HasMetadata> objects) {

        <T extends HasMetadata> List<T> all(Class<T> kind) {
            return objects.stream().filter(kind::isInstance).map(kind::cast).toList();
        }

        <T extends HasMetadata> T named(Class<T> kind, String name) {
            return all(kind).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError(dir + ": no " + kind.getSimpleName() + " " + name));
        }

        /** The value of a Secret's key, decoded. */
        String secret(String name, String key) {
            Secret s = named(Secret.class, name);
            String encoded = s.getData().get(key);
            assertTrue(encoded != null, "secret " + name + " has no " + key);
            return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        }

        /**
         * The environment a container of pod {@code podName} sees: values with {@code $(VAR)} references
         * expanded as the kubelet does, the pod's name from the downward API, and secret keys.
         */
        Map<String, String> environment(Container container, String podName) {
            Map<String, String> env = new LinkedHashMap<>();
            for (EnvVar var : container.getEnv()) {
                String value;
                if (var.getValueFrom() == null) {
                    value = expand(var.getValue(), env);
                } else if (var.getValueFrom().getFieldRef() != null) {
                    assertEquals("metadata.name", var.getValueFrom().getFieldRef().getFieldPath(), var.getName());
                    value = podName;
                } else if (var.getValueFrom().getSecretKeyRef() != null) {
                    var ref = var.getValueFrom().getSecretKeyRef();
                    value = secret(ref.getName(), ref.getKey());
                } else {
                    return fail("unsupported source for " + var.getName());
                }
                env.put(var.getName(), value);
            }
            return env;
        }
    }

    private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    private static String expand(String value, Map<String, String> defined) {
        Matcher m = REFERENCE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = defined.get(m.group(1));
            assertTrue(v != null, "$(" + m.group(1) + ") is used before it is defined: " + value);
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }

    private Kustomize() {
    }

    static Rendered render(Path dir) {
        Deploy.Output out = Deploy.run(List.of("kubectl", "kustomize", dir.toString()), Duration.ofSeconds(60),
                "to render the kustomizations (kubectl, which has kustomize built in)");
        assertEquals(0, out.exitCode(), "kubectl kustomize " + dir + ": " + out.stderr());
        List<HasMetadata> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(out.stdout())) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                Class<? extends HasMetadata> kind = KINDS.get(doc.path("kind").asText());
                assertTrue(kind != null, dir + ": unexpected kind " + doc.path("kind").asText());
                objects.add(YAML.treeToValue(doc, kind));
            }
        } catch (java.io.IOException e) {
            throw new AssertionError("unreadable output of kubectl kustomize " + dir, e);
        }
        return new Rendered(dir, objects);
    }
}
