package dev.outpost.loadtest.scenario;

import java.util.Iterator;
import java.util.Map;
import java.util.function.IntSupplier;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.RejectionInversionZipfSampler;
import org.apache.commons.rng.sampling.distribution.SharedStateDiscreteSampler;
import org.apache.commons.rng.simple.RandomSource;

/**
 * Gatling feeders of object ids (session attribute {@code id}) for the origin's {@code /obj/<id>}.
 * Seeded, so two runs request the same sequence (as far as the users' interleaving allows).
 * {@link #zipf}: id 0 is the most popular, id {@code k} is requested in proportion to
 * {@code 1/(k+1)^exponent} (commons-rng's rejection-inversion sampler, as Caffeine's benchmarks use
 * Zipf keys); {@link #uniform}: every id equally likely. Sizes come from the origin's size mix, which
 * is independent of popularity, so hot objects are of every size.
 *
 * <p>Gatling may call a feeder from several threads; {@code next()} is synchronized (the samplers
 * are not thread-safe and cost nanoseconds).
 */
final class ObjectIds implements Iterator<Map<String, Object>> {

    static final String ATTRIBUTE = "id";

    private final IntSupplier next;

    private ObjectIds(IntSupplier next) {
        this.next = next;
    }

    static ObjectIds zipf(int objects, double exponent, long seed) {
        if (objects < 1 || !(exponent > 0)) {
            throw new IllegalArgumentException("Zipf ids need objects >= 1 and exponent > 0, got " + objects
                    + " and " + exponent);
        }
        SharedStateDiscreteSampler sampler =
                RejectionInversionZipfSampler.of(RandomSource.XO_RO_SHI_RO_128_PP.create(seed), objects, exponent);
        return new ObjectIds(() -> sampler.sample() - 1);
    }

    static ObjectIds uniform(int objects, long seed) {
        if (objects < 1) {
            throw new IllegalArgumentException("uniform ids need objects >= 1, got " + objects);
        }
        UniformRandomProvider random = RandomSource.XO_RO_SHI_RO_128_PP.create(seed);
        return new ObjectIds(() -> random.nextInt(objects));
    }

    /** Ids {@code from, from+1, ..., to-1, from, ...}: a cyclic walk (fill passes). */
    static ObjectIds cycle(int from, int to) {
        if (to <= from) {
            throw new IllegalArgumentException("an id cycle needs from < to, got " + from + ".." + to);
        }
        int[] at = {from};
        return new ObjectIds(() -> {
            int id = at[0];
            at[0] = id + 1 == to ? from : id + 1;
            return id;
        });
    }

    synchronized int nextId() {
        return next.getAsInt();
    }

    @Override
    public boolean hasNext() {
        return true;
    }

    @Override
    public Map<String, Object> next() {
        return Map.of(ATTRIBUTE, nextId());
    }
}
