package dev.outpost.edge.proxy;

import dev.outpost.edge.http.Fields;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/** Adapts Vert.x headers to the read-only {@link Fields} view of the pure rules; no copy. */
public record MultiMapFields(MultiMap headers) implements Fields {

    @Override
    public List<String> all(String name) {
        return headers.getAll(name);
    }

    @Override
    public String first(String name) {
        return headers.get(name);
    }

    @Override
    public boolean has(String name) {
        return headers.contains(name);
    }

    @Override
    public void forEach(BiConsumer<String, String> action) {
        for (Map.Entry<String, String> e : headers) {
            action.accept(e.getKey(), e.getValue());
        }
    }
}
