package dev.outpost.purge.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.outpost.config.PurgeLimitsConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The REST contract: {@code openapi.yaml} from the classpath with this configuration's limits written into it
 * (the values' {@code maxItems} and {@code maxLength}), so the document served at {@code /v1/openapi.yaml} and
 * the one requests are validated against are the same and tell the truth.
 *
 * @param json the contract as vertx-openapi reads it
 * @param yaml the same, as served
 */
public record ApiContract(JsonObject json, String yaml) {

    public static final String RESOURCE = "/openapi.yaml";
    private static final YAMLMapper YAML = new YAMLMapper();

    public static ApiContract load(PurgeLimitsConfig limits) {
        try (InputStream in = ApiContract.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> tree = YAML.readValue(in, Map.class);
            JsonObject json = new JsonObject(tree);
            JsonObject values = json.getJsonObject("components").getJsonObject("schemas")
                    .getJsonObject("PurgeRequest").getJsonObject("properties").getJsonObject("values");
            values.put("maxItems", limits.maxValues());
            values.getJsonObject("items").put("maxLength", limits.maxValueLength());
            String yaml = YAML.writeValueAsString(new ObjectMapper().readValue(json.encode(), Map.class));
            return new ApiContract(json, yaml);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(RESOURCE + " is not valid YAML: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
