package dev.outpost.purge.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outpost.config.RetentionConfig;
import dev.outpost.purge.PurgeCommand;
import dev.outpost.purge.PurgeType;
import dev.outpost.purge.log.Delivery.Status;
import dev.outpost.purge.testing.TestTime;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The durable log on a real RocksDB in a temp folder (docs/purge-protocol.md "Sequences", "Catch-up feed"). */
class PurgeLogTest {

    private static final List<String> EDGES = List.of("edge-a", "edge-b");

    @TempDir
    Path dir;

    private final TestTime clock = new TestTime();
    private PurgeLog log;

    private PurgeLog open(RetentionConfig retention) throws IOException {
        log = PurgeLog.open(dir, retention, clock, EDGES);
        return log;
    }

    private PurgeLog open() throws IOException {
        return open(new RetentionConfig(1_000_000, Duration.ofDays(7), Duration.ofHours(1)));
    }

    private void reopen() throws IOException {
        log.close();
        open();
    }

    @AfterEach
    void close() {
        if (log != null) {
            log.close();
        }
    }

    private static PurgeCommand url(String path) {
        return new PurgeCommand(PurgeType.URL, List.of("http://site.example" + path), null, false);
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void concurrentAppendsGetEverySequenceOnceWithoutHoles() throws Exception {
        open();
        assertEquals(0, log.last());
        assertEquals(1, log.first());
        List<CompletableFuture<PurgeEntry>> all = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            Thread worker = new Thread(() -> {
                for (int i = 0; i < 50; i++) {
                    CompletableFuture<PurgeEntry> f = log.append(url("/" + thread + "/" + i));
                    synchronized (all) {
                        all.add(f);
                    }
                }
            });
            worker.start();
            threads.add(worker);
        }
        for (Thread t : threads) {
            t.join();
        }
        Set<Long> sequences = new HashSet<>();
        Set<String> ids = new HashSet<>();
        for (CompletableFuture<PurgeEntry> f : all) {
            PurgeEntry e = await(f);
            sequences.add(e.sequence());
            ids.add(e.id());
        }
        assertEquals(LongStream.rangeClosed(1, 400).boxed().collect(java.util.stream.Collectors.toSet()), sequences);
        assertEquals(400, ids.size());
        assertEquals(400, log.last());
    }

    @Test
    void everythingIsThereAfterReopening() throws Exception {
        open();
        PurgeEntry first = await(log.append(url("/a")));
        PurgeEntry second = await(log.append(new PurgeCommand(PurgeType.TAG, List.of("t1", "t2"), "site.example",
                true)));
        await(log.recordDelivery(1, "edge-a", new Delivery(Status.APPLIED, 2, "HTTP 503", clock.instant(),
                clock.instant(), clock.instant())));
        await(log.recordAck("edge-a", 1, clock.instant()));
        await(log.recordDelivery(2, "edge-b", new Delivery(Status.PENDING, 4, "connection refused", clock.instant(),
                clock.instant(), null)));
        reopen();

        assertEquals(2, log.last());
        assertEquals(1, log.first());
        assertEquals(second, await(log.entry(2)).orElseThrow());
        PurgeLog.Record r = await(log.find(first.id())).orElseThrow();
        assertEquals(first, r.entry());
        assertEquals(2, r.deliveries().get("edge-a").attempts());
        assertEquals(clock.instant(), r.ackedAt().get("edge-a"));
        assertFalse(r.ackedAt().containsKey("edge-b"));
        assertTrue(await(log.find("no-such-id")).isEmpty());

        PurgeLog.Resume resume = await(log.resume());
        assertEquals(1L, resume.watermarks().get("edge-a"));
        assertEquals(0L, resume.watermarks().get("edge-b"));
        assertEquals(List.of(new PurgeLog.StoredDelivery(1, "edge-a", r.deliveries().get("edge-a")),
                new PurgeLog.StoredDelivery(2, "edge-b", new Delivery(Status.PENDING, 4, "connection refused",
                        clock.instant(), clock.instant(), null))), resume.deliveries());

        PurgeEntry third = await(log.append(url("/c")));
        assertEquals(3, third.sequence(), "sequences continue after a restart");
    }

    @Test
    void theFeedPagesAscendingWithBounds() throws Exception {
        open();
        PurgeLog.Page empty = await(log.entriesAfter(0, 1000));
        assertEquals(new PurgeLog.Page(1, 0, List.of()), empty);
        for (int i = 1; i <= 5; i++) {
            await(log.append(url("/" + i)));
        }
        PurgeLog.Page page = await(log.entriesAfter(1, 2));
        assertEquals(1, page.first());
        assertEquals(5, page.last());
        assertEquals(List.of(2L, 3L), page.entries().stream().map(PurgeEntry::sequence).toList());
        assertEquals(List.of(), await(log.entriesAfter(0, 0)).entries(), "limit=0 returns only the bounds");
        assertEquals(List.of(), await(log.entriesAfter(5, 10)).entries());
        assertEquals("http://site.example/5", await(log.entriesAfter(4, 10)).entries().get(0).command().values()
                .get(0));
    }

    @Test
    void retentionByCountKeepsFirstAndLastRightAcrossRestarts() throws Exception {
        open(new RetentionConfig(3, Duration.ofDays(7), Duration.ofHours(1)));
        List<PurgeEntry> entries = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            entries.add(await(log.append(url("/" + i))));
        }
        await(log.recordDelivery(2, "edge-a", new Delivery(Status.FAILED, 3, "x", clock.instant(), clock.instant(),
                null)));
        await(log.recordAck("edge-a", 4, clock.instant()));
        await(log.recordAck("edge-a", 9, clock.instant()));
        await(log.recordAck("edge-b", 2, clock.instant())); // edge-b lags behind what is retained
        await(log.applyRetention());
        assertEquals(8, log.first());
        assertEquals(10, log.last());
        log.close();
        open(new RetentionConfig(3, Duration.ofDays(7), Duration.ofHours(1)));
        assertEquals(8, log.first());
        assertEquals(10, log.last());
        PurgeLog.Page page = await(log.entriesAfter(0, 100));
        assertEquals(List.of(8L, 9L, 10L), page.entries().stream().map(PurgeEntry::sequence).toList());
        assertTrue(await(log.find(entries.get(0).id())).isEmpty(), "the id index goes with the entry");
        assertTrue(await(log.entry(7)).isEmpty());
        assertEquals(entries.get(8), await(log.find(entries.get(8).id())).orElseThrow().entry());
        PurgeLog.Resume resume = await(log.resume());
        assertEquals(9L, resume.watermarks().get("edge-a"));
        assertEquals(2L, resume.watermarks().get("edge-b"), "a lagging edge's watermark survives retention");
        assertTrue(resume.deliveries().stream().noneMatch(d -> d.sequence() < 8));
    }

    @Test
    void retentionByAgeOnTheClockCanEmptyTheLog() throws Exception {
        open(new RetentionConfig(1000, Duration.ofHours(1), Duration.ofHours(1)));
        await(log.append(url("/old-1")));
        await(log.append(url("/old-2")));
        clock.advance(Duration.ofMinutes(45));
        await(log.append(url("/newer")));
        clock.advance(Duration.ofMinutes(30));
        await(log.applyRetention());
        assertEquals(3, log.first());
        assertEquals(3, log.last());
        clock.advance(Duration.ofHours(2));
        await(log.applyRetention());
        assertEquals(4, log.first(), "first is last + 1 when retention removed everything");
        assertEquals(3, log.last());
        reopen();
        assertEquals(new PurgeLog.Page(4, 3, List.of()), await(log.entriesAfter(0, 10)));
        assertEquals(4, await(log.append(url("/next"))).sequence());
    }

    @Test
    void retentionRunsInTheBackground() throws Exception {
        open(new RetentionConfig(2, Duration.ofDays(7), Duration.ofMillis(50)));
        for (int i = 0; i < 5; i++) {
            await(log.append(url("/" + i)));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (log.first() != 4 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(4, log.first());
    }

    @Test
    void aLogHeldByAnotherOpenerIsRefusedWithAReason() throws Exception {
        open();
        IOException e = assertThrows(IOException.class, () -> PurgeLog.open(dir, new RetentionConfig(1, Duration.ofDays(1)),
                clock, EDGES));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }

    @Test
    void closedLogRefusesWork() throws Exception {
        open();
        log.close();
        assertThrows(Exception.class, () -> await(log.append(url("/x"))));
        log = null;
    }

    @Test
    void entryJsonIsTheFeedFormat() {
        PurgeEntry e = new PurgeEntry(42, "id", new PurgeCommand(PurgeType.ALL, List.of(), null, true),
                Instant.parse("2026-11-26T10:00:00Z"));
        assertEquals("{\"sequence\":42,\"id\":\"id\",\"type\":\"all\",\"values\":[],\"host\":null,\"soft\":true,"
                + "\"acceptedAt\":\"2026-11-26T10:00:00Z\"}", e.toJson().encode());
        assertEquals(e, PurgeEntry.fromJson(e.toJson()));
        assertEquals("{\"type\":\"all\",\"values\":[],\"soft\":true,\"sequence\":42,\"id\":\"id\"}",
                e.toEdgePush().encode());
    }
}
