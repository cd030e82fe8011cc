package io.github.hnswlibrs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConcurrencyTest {
    static final int DIM = 16;

    @Test
    void oneThreadAddsWhileThreeSearch() throws Exception {
        int n = 4000;
        float[][] data = TestData.random(n, DIM, 21);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (HnswIndex index = new HnswIndex(Space.l2(DIM), n)) {
            index.setEf(50);
            index.add(data[0], 0);
            AtomicBoolean adding = new AtomicBoolean(true);
            Future<?> writer = pool.submit(() -> {
                try {
                    for (int i = 1; i < n; i++) {
                        index.add(data[i], i);
                    }
                } finally {
                    adding.set(false);
                }
            });
            List<Future<Long>> readers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int seed = t;
                readers.add(pool.submit(() -> {
                    long searches = 0;
                    java.util.Random r = new java.util.Random(seed);
                    do {
                        int i = r.nextInt(n);
                        SearchResult res = index.knn(data[i], 5);
                        assertTrue(res.size() >= 1 && res.size() <= 5);
                        // Every label returned has been added, with a distance consistent with its vector.
                        long label = res.labels()[0];
                        assertTrue(label >= 0 && label < n);
                        assertEquals(BruteForceIndexTest.l2(data[i], data[(int) label]), res.distances()[0], 1e-3);
                        searches++;
                    } while (adding.get());
                    return searches;
                }));
            }
            writer.get();
            for (Future<Long> f : readers) {
                assertTrue(f.get() > 0);
            }
            assertEquals(n, index.size());
            // Every element is found after the concurrent build.
            int found = 0;
            for (int i = 0; i < n; i += 10) {
                if (index.knn(data[i], 1).labels()[0] == i) {
                    found++;
                }
            }
            assertTrue(found >= 390, "found " + found + " of 400");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void batchAddsFromSeveralThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (HnswIndex index = new HnswIndex(Space.cosine(DIM), 3000)) {
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int part = t;
                jobs.add(pool.submit(() -> index.add(TestData.random(1000, DIM, part), TestData.range(part * 1000L, 1000),
                        AddOptions.defaults().withThreads(2))));
            }
            for (Future<?> f : jobs) {
                f.get();
            }
            assertEquals(3000, index.size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closeWhileOtherThreadsSearchNeverCrashes() throws Exception {
        float[][] data = TestData.random(2000, DIM, 5);
        for (int round = 0; round < 5; round++) {
            HnswIndex index = new HnswIndex(Space.l2(DIM), 2000);
            index.add(data, TestData.range(0, 2000));
            ExecutorService pool = Executors.newFixedThreadPool(3);
            CountDownLatch started = new CountDownLatch(3);
            AtomicLong closedSeen = new AtomicLong();
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                jobs.add(pool.submit(() -> {
                    started.countDown();
                    for (int i = 0; ; i++) {
                        try {
                            if (i % 2 == 0) {
                                index.knnBatch(new float[][] {data[i % 2000], data[(i + 1) % 2000]}, 3);
                            } else {
                                index.knn(data[i % 2000], 3, SearchOptions.defaults().withEf(100));
                            }
                        } catch (IllegalStateException e) {
                            assertEquals("the index is closed", e.getMessage());
                            closedSeen.incrementAndGet();
                            return;
                        }
                    }
                }));
            }
            started.await();
            Thread.sleep(20);
            index.close();
            for (Future<?> f : jobs) {
                f.get();
            }
            assertEquals(3, closedSeen.get());
            pool.shutdownNow();
        }
    }
}
